package com.permissionbot.diagnose;

import com.permissionbot.domain.Secrets;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ConsoleLink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The diagnosis cards, one per kind of pasted error. Everything read from the paste goes in through
 * {@link Vars#text} or {@link Vars#list} (escaped); only the bot's own text, numbers and the console link (built from
 * strictly validated scope names) are trusted. Why escape:
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text
 */
public final class DiagnoseCards {
    public static final String FEISHU_SCOPE = "diagnose_feishu_scope";
    public static final String FEISHU_USER = "diagnose_feishu_user";
    public static final String FEISHU_TOKEN = "diagnose_feishu_token";
    public static final String DINGTALK = "diagnose_dingtalk";
    public static final String UNRECOGNISED = "diagnose_unrecognised";
    /** The templates this class renders. */
    public static final List<String> TEMPLATES = List.of(FEISHU_SCOPE, FEISHU_USER, FEISHU_TOKEN, DINGTALK, UNRECOGNISED);

    /** Masked secrets listed on a card at most (the warning is the point, not the list). */
    static final int MAX_SECRETS_SHOWN = 5;

    /** What each token code means; see https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
    private static final Map<String, String[]> TOKEN_MEANING = Map.of(
            "99991661", new String[]{"请求没有携带访问凭证：缺少 `Authorization: Bearer <token>` 请求头。",
                    "The request carried no token: the `Authorization: Bearer <token>` header is missing."},
            "99991663", new String[]{"tenant_access_token 无效或已过期；也可能是这个接口要求 user_access_token。",
                    "The tenant_access_token is invalid or has expired, or this API needs a user_access_token instead."},
            "99991664", new String[]{"app_access_token 无效。", "The app_access_token is invalid."},
            "99991665", new String[]{"tenant_access_token 无效。", "The tenant_access_token is invalid."},
            "99991668", new String[]{"user_access_token 无效或已过期。", "The user_access_token is invalid or has expired."},
            "99991671", new String[]{"凭证格式不对：飞书的访问凭证以 `t-`（应用身份）或 `u-`（用户身份）开头。",
                    "The token is malformed: a Feishu token starts with `t-` (tenant) or `u-` (user)."},
            "99991677", new String[]{"user_access_token 已过期：用 refresh_token 刷新，或请用户重新登录授权。",
                    "The user_access_token has expired: refresh it with its refresh_token, or have the user log in again."});
    private static final String[] TOKEN_UNKNOWN = {"访问凭证缺失、无效或已过期。", "The token is missing, invalid or has expired."};
    private static final Map<String, String[]> TOKEN_SEEN = Map.of(
            "tenant", new String[]{"你粘贴的请求用的是 tenant_access_token（`t-` 开头，应用身份）。",
                    "Your paste shows a tenant_access_token (`t-…`, the app's identity) was sent."},
            "user", new String[]{"你粘贴的请求用的是 user_access_token（`u-` 开头，用户身份）。",
                    "Your paste shows a user_access_token (`u-…`, a user's identity) was sent."},
            "app", new String[]{"你粘贴的请求用的是 app_access_token（`a-` 开头）。",
                    "Your paste shows an app_access_token (`a-…`) was sent."});

    private final CardRenderer renderer;
    private final String appId;
    private final String console;

    /**
     * {@code appId}: this bot's app; {@code consoleOrigin}: https://open.feishu.cn or https://open.larksuite.com,
     * where the developer-console links point.
     */
    public DiagnoseCards(CardRenderer renderer, String appId, String consoleOrigin) {
        this.renderer = Objects.requireNonNull(renderer);
        this.appId = appId == null ? "" : appId.trim();
        this.console = Objects.requireNonNull(consoleOrigin);
    }

    /**
     * 99991672: each required scope by its live status; Apply (the scope cards' button value, so the same flow and
     * quota guard) when one is declared but not granted, a console link for those not declared.
     */
    public Card appScope(PastedError e, ScopeCheck check, Quota quota, String nonce) {
        boolean hasScopes = !e.scopes().isEmpty();
        boolean known = hasScopes && check != null && check.known();
        boolean hasDeclared = known && !check.declared().isEmpty();
        boolean hasUndeclared = known && !check.undeclared().isEmpty();
        int left = quota == null ? 0 : quota.left();
        String version = quota == null ? null : quota.version();
        List<String> linkScopes = !hasScopes ? List.of() : known ? check.undeclared() : e.scopes();
        Vars v = common(e)
                .list("granted", known ? check.granted() : List.of())
                .list("declared", known ? check.declared() : List.of())
                .list("undeclared", known ? check.undeclared() : List.of())
                .flag("has_granted", known && !check.granted().isEmpty())
                .flag("has_declared", hasDeclared)
                .flag("has_undeclared", hasUndeclared)
                .flag("can_apply", hasDeclared && left > 0)
                .flag("used_up", hasDeclared && left <= 0)
                .text("version", version == null || version.isBlank() ? "?" : version)
                .trusted("version_value", version == null ? "" : version)
                .trusted("nonce", nonce == null ? "" : nonce)
                .number("used", quota == null ? 0 : quota.shown())
                .trusted("console_url", ConsoleLink.url(console, appId, linkScopes, "tenant"))
                .flag("status_failed", hasScopes && !known)
                .number("status_code", check == null ? 0 : check.statusCode())
                .text("status_msg", check == null || check.statusMsg().isBlank() ? "-" : cut(check.statusMsg(), 200))
                .text("status_log_id", check == null || check.statusLogId().isBlank() ? "-" : check.statusLogId())
                .flag("app_mismatch", !e.appId().isEmpty() && !appId.isEmpty() && !e.appId().equals(appId))
                .text("paste_app_id", e.appId())
                .text("app_id", appId);
        return renderer.render(FEISHU_SCOPE, v);
    }

    /** 99991679: the user must authorize again; Apply would not help. */
    public Card userScope(PastedError e) {
        return renderer.render(FEISHU_USER, common(e).trusted("console_url", ConsoleLink.url(console, appId, e.scopes(), "user")));
    }

    /** The invalid-token codes: what this one means, the two token types, their 2 h lifetime and renewal. */
    public Card token(PastedError e) {
        String[] meaning = TOKEN_MEANING.getOrDefault(e.code(), TOKEN_UNKNOWN);
        String[] seen = TOKEN_SEEN.getOrDefault(e.tokenType(), new String[]{"", ""});
        boolean knownCode = TOKEN_MEANING.containsKey(e.code());
        return renderer.render(FEISHU_TOKEN, common(e)
                .trusted("code_suffix", knownCode ? " " + e.code() : "")
                .trusted("meaning_zh", meaning[0])
                .trusted("meaning_en", meaning[1])
                .flag("has_token_type", !seen[0].isEmpty())
                .trusted("seen_zh", seen[0])
                .trusted("seen_en", seen[1]));
    }

    /** DingTalk AccessTokenPermissionDenied: the scopes, both causes and remedies, and what to send support. */
    public Card dingtalk(PastedError e) {
        boolean hasId = !e.requestId().isEmpty();
        return renderer.render(DINGTALK, common(e)
                .text("request_id_en", hasId ? " (this one: " + e.requestId() + ")" : "")
                .text("request_id_zh", hasId ? "（本次为 " + e.requestId() + "）" : ""));
    }

    /** Looks like an error but not one the bot can read: what it can read. */
    public Card unrecognised(PastedError e) {
        return renderer.render(UNRECOGNISED, common(e).flag("has_code", !e.code().isEmpty()));
    }

    /** The variables every diagnosis card shares. */
    private static Vars common(PastedError e) {
        List<String> secrets = new ArrayList<>();
        for (Secrets.Found f : e.secrets()) secrets.add(f.label() + ": " + f.masked());
        return Vars.of()
                .text("code", e.code())
                .list("scopes", e.scopes())
                .flag("has_scopes", !e.scopes().isEmpty())
                .flag("no_scopes", e.scopes().isEmpty())
                .number("more", e.moreScopes())
                .flag("has_more", e.moreScopes() > 0)
                .text("log_id", e.logId())
                .flag("has_log_id", !e.logId().isEmpty())
                .list("secrets", secrets.subList(0, Math.min(secrets.size(), MAX_SECRETS_SHOWN)))
                .flag("has_secrets", !secrets.isEmpty());
    }

    private static String cut(String s, int max) {
        return s.codePointCount(0, s.length()) <= max ? s : s.substring(0, s.offsetByCodePoints(0, max - 1)) + "\u2026";
    }
}
