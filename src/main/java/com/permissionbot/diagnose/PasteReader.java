package com.permissionbot.diagnose;

import com.permissionbot.scopes.ConsoleLink;

import com.permissionbot.domain.Secrets;
import com.permissionbot.feishu.LenientJson;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a pasted error: a message, a log line or a response body, possibly in code fences, possibly cut off,
 * with prose around it in either language. Secrets are masked first ({@link Secrets}); then the largest
 * {@code {…}} block is parsed leniently with Jackson, and regexes over the whole text fill in whatever the JSON did
 * not give (a cut-off body is not JSON). Shapes: Feishu's
 * https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code and DingTalk's
 * https://open-dingtalk.github.io/developerpedia/docs/develop/best-practices/permission-deny
 */
public final class PasteReader {
    /** Text beyond this is ignored. */
    public static final int MAX_CHARS = 64_000;
    /** Scopes kept from one paste; the rest are counted (the card stays well under 30 KB even with 80-character names). */
    public static final int MAX_SCOPES = 10;

    /** https://open.feishu.cn/document/faq/trouble-shooting/how-to-fix-the-99991672-error */
    public static final String APP_SCOPE = "99991672";
    /** https://open.feishu.cn/document/faq/trouble-shooting/how-to-resolve-error-99991679 */
    public static final String USER_SCOPE = "99991679";
    /** https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
    public static final Set<String> TOKEN_CODES = Set.of("99991661", "99991663", "99991664", "99991665", "99991668",
            "99991671", "99991677");
    /** https://open.dingtalk.com/document/orgapp-server/add-api-permission */
    public static final String DINGTALK_CODE = "Forbidden.AccessDenied.AccessTokenPermissionDenied";

    /** A DingTalk permission point, e.g. {@code Contact.User.Read} or {@code qyapi_get_member}. */
    public static final Pattern DINGTALK_SCOPE = Pattern.compile("[A-Za-z][A-Za-z0-9_.:-]{0,79}");
    static final Pattern APP_ID = Pattern.compile("cli_[A-Za-z0-9]{4,40}");
    private static final Pattern CODE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.]{1,79}|-?\\d{1,10}");

    private static final int MAX_BLOCK_TRIES = 64;
    private static final int MAX_LIST = 2_000;
    private static final int MAX_TREE_DEPTH = 40;

    private static final int I = Pattern.CASE_INSENSITIVE;
    private static final String Q = "(?:\\\\?[\"'])?";
    private static final Pattern CODE_FIELD = Pattern.compile(
            "(?<![A-Za-z0-9_])" + Q + "(?:err(?:or)?_?)?code" + Q + "\\s*[:=]\\s*" + Q + "([A-Za-z][A-Za-z0-9_.]{1,79}|-?\\d{1,10})", I);
    private static final Pattern CODE_PROSE = Pattern.compile("(?:\\bcode|错误码)\\s*[:：]?\\s*(\\d{5,9})(?!\\d)", I);
    private static final Pattern BARE_FEISHU_CODE = Pattern.compile("(?<![0-9])(9999\\d{4})(?![0-9])");
    private static final Pattern DINGTALK_NAME = Pattern.compile(Pattern.quote(DINGTALK_CODE), I);

    private static final Pattern APP_LIST = Pattern.compile(
            "(?:one of the following scopes is required|应用尚未开通所需的应用身份权限|how to add them)\\s*[:：]?\\s*[\\[【]([^\\]】\"\\n]{0," + MAX_LIST + "})([\\]】]?)", I);
    private static final Pattern USER_LIST = Pattern.compile(
            "(?:required one of these privileges|应用未获取所需的用户授权)\\s*[:：]?\\s*[\\[【]([^\\]】\"\\n]{0," + MAX_LIST + "})([\\]】]?)", I);
    private static final Pattern SUBJECT = Pattern.compile(Q + "subject" + Q + "\\s*[:=]\\s*\\\\?[\"']([^\"'\\\\\\n]{1,200})\\\\?[\"']", I);
    private static final Pattern CONSOLE_URL = Pattern.compile(
            "https?://open\\.(?:feishu\\.cn|larksuite\\.com)/(?:app/(cli_[A-Za-z0-9]{4,40})/auth|page/scope-apply)\\?([^\\s\"'<>\\\\\\[\\]()]{0," + MAX_LIST + "})", I);
    private static final Pattern REQUIRED_SCOPES = Pattern.compile(
            "requiredScopes" + Q + "\\s*[:=]\\s*\\[([^\\]]{0," + MAX_LIST + "})(\\]?)", I);
    private static final Pattern QUOTED = Pattern.compile("\\\\?[\"']([^\"'\\\\]{1,100})\\\\?[\"']");
    private static final Pattern LOG_ID = Pattern.compile(
            "(?<![A-Za-z0-9_])" + Q + "(?:log_?id|x-tt-logid)" + Q + "\\s*[:=：]\\s*" + Q + "([A-Za-z0-9]{8,80})", I);
    private static final Pattern REQUEST_ID = Pattern.compile(
            "(?<![A-Za-z0-9_])" + Q + "(?:x-acs-request-id|x-request-id|request_?id)" + Q + "\\s*[:=：]\\s*" + Q + "([A-Za-z0-9-]{8,80})", I);
    private static final Pattern ITEM_SEPARATORS = Pattern.compile("[\\s,，;、|\"'`]+");

    private static final Pattern PHRASE_APP = Pattern.compile(
            "one of the following scopes is required|应用尚未开通所需的应用身份权限|action_scope_required", I);
    private static final Pattern PHRASE_USER = Pattern.compile(
            "required one of these privileges|应用未获取所需的用户授权|request user re-authorization|action_privilege_required", I);
    private static final Pattern PHRASE_TOKEN = Pattern.compile(
            "invalid access token for authorization|\\bneed a token\\b|invalid token: must start with|"
                    + "invalid (?:app|tenant|user) (?:access )?token|(?:user )?access token (?:is )?expired", I);
    private static final Pattern PHRASE_DINGTALK = Pattern.compile(
            "AccessTokenPermissionDenied|accessdenieddetail|requiredScopes|没有调用该接口的权限", I);

    private PasteReader() {}

    /** What the paste says; {@link PastedError.Kind#UNRECOGNISED} when no known error is in it. */
    public static PastedError read(String pasted) {
        String t = pasted == null ? "" : pasted;
        if (t.length() > MAX_CHARS) t = t.substring(0, MAX_CHARS);
        t = Normalizer.normalize(t, Normalizer.Form.NFKC);
        Secrets.Masked masked = Secrets.scan(t);
        String text = masked.text();

        Evidence e = new Evidence();
        Map<String, Object> tree = largestObject(text);
        if (tree != null) e.tree(tree, 0);
        e.text(text.replace("\\\"", "\"").replace("\\/", "/"), true);
        return e.conclude(masked.found());
    }

    /** The largest balanced {@code {…}} block that reads as (lenient) JSON, or null. */
    static Map<String, Object> largestObject(String s) {
        int bestStart = -1;
        int bestEnd = -1;
        int tries = 0;
        int i = s.indexOf('{');
        while (i >= 0 && tries++ < MAX_BLOCK_TRIES) {
            int end = matchingBrace(s, i);
            if (end > 0) {
                if (end - i > bestEnd - bestStart) {
                    bestStart = i;
                    bestEnd = end;
                }
                i = s.indexOf('{', end + 1);
            } else {
                i = s.indexOf('{', i + 1);
            }
        }
        return bestStart < 0 ? null : LenientJson.object(s.substring(bestStart, bestEnd + 1));
    }

    /** The index of the brace closing the one at {@code open}, skipping double-quoted strings; -1 if the text ends first. */
    static int matchingBrace(String s, int open) {
        int depth = 0;
        boolean inString = false;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (--depth == 0) return i;
            }
        }
        return -1;
    }

    /** Everything found so far; the JSON tree's findings come first, then the text's. */
    private static final class Evidence {
        final List<String> knownCodes = new ArrayList<>();
        final List<String> otherCodes = new ArrayList<>();
        final Set<String> appScopes = new LinkedHashSet<>();
        final Set<String> userScopes = new LinkedHashSet<>();
        final Set<String> subjects = new LinkedHashSet<>();
        final Set<String> dingScopes = new LinkedHashSet<>();
        final List<String> logIds = new ArrayList<>();
        final List<String> requestIds = new ArrayList<>();
        final List<String> appIds = new ArrayList<>();
        boolean phraseApp;
        boolean phraseUser;
        boolean phraseToken;
        boolean phraseDing;

        void tree(Object n, int depth) {
            if (depth > MAX_TREE_DEPTH) return;
            if (n instanceof List<?> list) {
                for (Object c : list) tree(c, depth + 1);
                return;
            }
            if (n instanceof String s) {
                String trimmed = s.trim();
                if (trimmed.startsWith("{") && trimmed.endsWith("}") && depth < 8) {
                    Map<String, Object> inner = largestObject(trimmed);
                    if (inner != null) {
                        tree(inner, depth + 1);
                        return;
                    }
                }
                text(s, false);
                return;
            }
            if (!(n instanceof Map<?, ?> map)) return;
            for (Map.Entry<?, ?> f : map.entrySet()) {
                String key = String.valueOf(f.getKey()).toLowerCase(Locale.ROOT);
                Object v = f.getValue();
                switch (key) {
                    case "code", "errcode", "error_code" -> {
                        if (scalar(v)) code(String.valueOf(v));
                    }
                    case "log_id", "logid", "x-tt-logid" -> {
                        if (scalar(v)) id(String.valueOf(v), logIds, "[A-Za-z0-9]{8,80}");
                    }
                    case "requestid", "request_id", "x-acs-request-id" -> {
                        if (scalar(v)) id(String.valueOf(v), requestIds, "[A-Za-z0-9-]{8,80}");
                    }
                    case "permission_violations" -> {
                        for (Object pv : v instanceof List<?> l ? l : List.of()) {
                            String type = field(pv, "type");
                            if (type.equals("action_scope_required")) phraseApp = true;
                            if (type.equals("action_privilege_required")) phraseUser = true;
                            feishu(List.of(field(pv, "subject")), subjects);
                        }
                    }
                    case "requiredscopes" -> {
                        phraseDing = true;
                        List<String> items = new ArrayList<>();
                        if (v instanceof List<?> l) for (Object s : l) if (s instanceof String str) items.add(str);
                        ding(items, dingScopes);
                    }
                    case "accessdenieddetail" -> phraseDing = true;
                    default -> { }
                }
                if (!key.equals("permission_violations") && !key.equals("requiredscopes")) tree(v, depth + 1);
            }
        }

        private static boolean scalar(Object v) {
            return v != null && !(v instanceof Map) && !(v instanceof List);
        }

        /** A scalar field of an object, as text; empty when absent or not an object. */
        private static String field(Object o, String name) {
            Object v = o instanceof Map<?, ?> m ? m.get(name) : null;
            return scalar(v) ? String.valueOf(v) : "";
        }

        /** Regexes over text; {@code whole} when this is the whole paste (it may be cut off at its end). */
        void text(String s, boolean whole) {
            int end = s.length();
            for (Matcher m = CODE_FIELD.matcher(s); m.find(); ) if (!(whole && m.end() == end)) code(m.group(1));
            for (Matcher m = CODE_PROSE.matcher(s); m.find(); ) if (!(whole && m.end() == end)) code(m.group(1));
            for (Matcher m = BARE_FEISHU_CODE.matcher(s); m.find(); ) if (!(whole && m.end() == end)) code(m.group(1));
            if (DINGTALK_NAME.matcher(s).find()) code(DINGTALK_CODE);

            if (PHRASE_APP.matcher(s).find()) phraseApp = true;
            if (PHRASE_USER.matcher(s).find()) phraseUser = true;
            if (PHRASE_TOKEN.matcher(s).find()) phraseToken = true;
            if (PHRASE_DINGTALK.matcher(s).find()) phraseDing = true;

            for (Matcher m = APP_LIST.matcher(s); m.find(); ) feishu(items(m.group(1), m.group(2).isEmpty()), appScopes);
            for (Matcher m = USER_LIST.matcher(s); m.find(); ) feishu(items(m.group(1), m.group(2).isEmpty()), userScopes);
            for (Matcher m = SUBJECT.matcher(s); m.find(); ) feishu(List.of(m.group(1).trim()), subjects);
            for (Matcher m = CONSOLE_URL.matcher(s); m.find(); ) consoleUrl(m.group(1), m.group(2), whole && m.end() == end);
            for (Matcher m = REQUIRED_SCOPES.matcher(s); m.find(); ) {
                phraseDing = true;
                String list = m.group(1);
                boolean cut = m.group(2).isEmpty();
                List<String> quoted = new ArrayList<>();
                for (Matcher q = QUOTED.matcher(list); q.find(); ) quoted.add(q.group(1).trim());
                ding(quoted.isEmpty() ? items(list, cut) : quoted, dingScopes);
            }
            for (Matcher m = LOG_ID.matcher(s); m.find(); ) if (!(whole && m.end() == end)) id(m.group(1), logIds, null);
            for (Matcher m = REQUEST_ID.matcher(s); m.find(); ) if (!(whole && m.end() == end)) id(m.group(1), requestIds, null);
        }

        private void code(String raw) {
            String c = raw == null ? "" : raw.trim();
            if (!CODE_NAME.matcher(c).matches()) return;
            if (c.equalsIgnoreCase(DINGTALK_CODE)) c = DINGTALK_CODE;
            List<String> into = kindOf(c) != null ? knownCodes : otherCodes;
            if (!into.contains(c)) into.add(c);
        }

        /** {@code q=} (the console's 99991672 link) or {@code scopes=} (lark-cli's scope-apply link). */
        private void consoleUrl(String appId, String query, boolean cut) {
            if (appId != null && APP_ID.matcher(appId).matches() && !appIds.contains(appId)) appIds.add(appId);
            String[] params = query.split("&");
            for (int p = 0; p < params.length; p++) {
                String param = params[p];
                int eq = param.indexOf('=');
                if (eq < 0) continue;
                String name = param.substring(0, eq).toLowerCase(Locale.ROOT);
                if (name.equals("clientid")) {
                    String id = decode(param.substring(eq + 1));
                    if (APP_ID.matcher(id).matches() && !appIds.contains(id)) appIds.add(id);
                }
                if (!name.equals("q") && !name.equals("scopes")) continue;
                feishu(items(decode(param.substring(eq + 1)), cut && p == params.length - 1), appScopes);
            }
        }

        private static void id(String raw, List<String> into, String pattern) {
            String v = raw == null ? "" : raw.trim();
            if (v.isEmpty() || (pattern != null && !v.matches(pattern))) return;
            if (!into.contains(v)) into.add(v);
        }

        private static void feishu(List<String> items, Set<String> into) {
            for (String s : items) {
                String scope = s.trim();
                if (ConsoleLink.SCOPE_NAME.matcher(scope).matches()) into.add(scope);
            }
        }

        private static void ding(List<String> items, Set<String> into) {
            for (String s : items) {
                String scope = s.trim();
                if (DINGTALK_SCOPE.matcher(scope).matches()) into.add(scope);
            }
        }

        PastedError conclude(List<Secrets.Found> secrets) {
            PastedError.Kind kind;
            String code = "";
            if (!knownCodes.isEmpty()) {
                code = knownCodes.get(0);
                kind = kindOf(code);
            } else if (phraseDing) {
                kind = PastedError.Kind.DINGTALK_SCOPE;
            } else if (phraseApp) {
                kind = PastedError.Kind.FEISHU_APP_SCOPE;
                code = APP_SCOPE;
            } else if (phraseUser) {
                kind = PastedError.Kind.FEISHU_USER_SCOPE;
                code = USER_SCOPE;
            } else if (phraseToken) {
                kind = PastedError.Kind.FEISHU_TOKEN;
            } else {
                kind = PastedError.Kind.UNRECOGNISED;
                code = otherCodes.isEmpty() ? "" : otherCodes.get(0);
            }
            Set<String> scopes = new LinkedHashSet<>();
            switch (kind) {
                case FEISHU_APP_SCOPE -> {
                    scopes.addAll(subjects);
                    scopes.addAll(appScopes);
                }
                case FEISHU_USER_SCOPE -> {
                    scopes.addAll(subjects);
                    scopes.addAll(userScopes);
                }
                case DINGTALK_SCOPE -> scopes.addAll(dingScopes);
                default -> { }
            }
            List<String> all = new ArrayList<>(scopes);
            List<String> kept = all.subList(0, Math.min(all.size(), MAX_SCOPES));
            String tokenType = "";
            for (Secrets.Found f : secrets) {
                String label = f.label().toLowerCase(Locale.ROOT);
                String type = !f.tokenType().isEmpty() ? f.tokenType()
                        : label.contains("user_access_token") ? "user" : label.contains("tenant_access_token") ? "tenant" : "";
                if (!type.isEmpty()) {
                    tokenType = type;
                    break;
                }
            }
            boolean feishu = kind != PastedError.Kind.DINGTALK_SCOPE;
            return new PastedError(kind, code, kept, feishu && !logIds.isEmpty() ? logIds.get(0) : "",
                    requestIds.isEmpty() ? "" : requestIds.get(0), feishu && !appIds.isEmpty() ? appIds.get(0) : "",
                    tokenType, secrets, all.size() - kept.size());
        }
    }

    /** Which diagnosis a code calls for, or null for a code the bot does not diagnose. */
    static PastedError.Kind kindOf(String code) {
        if (code.equals(APP_SCOPE)) return PastedError.Kind.FEISHU_APP_SCOPE;
        if (code.equals(USER_SCOPE)) return PastedError.Kind.FEISHU_USER_SCOPE;
        if (TOKEN_CODES.contains(code)) return PastedError.Kind.FEISHU_TOKEN;
        if (code.equalsIgnoreCase(DINGTALK_CODE)) return PastedError.Kind.DINGTALK_SCOPE;
        return null;
    }

    /** The items of a pasted list; when the list was cut off, its last item may be incomplete and is dropped. */
    static List<String> items(String list, boolean cut) {
        List<String> out = new ArrayList<>();
        for (String s : ITEM_SEPARATORS.split(list.trim())) if (!s.isEmpty()) out.add(s);
        if (cut && !out.isEmpty() && !list.isEmpty() && !ITEM_SEPARATORS.matcher(list.substring(list.length() - 1)).matches()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException badEscape) {
            return "";
        }
    }
}
