package com.permissionbot.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets that people paste by mistake: values of secret- and token-named keys ({@code app_secret},
 * {@code appSecret}, {@code ClientSecret}, {@code tenant_access_token}, {@code x-acs-dingtalk-access-token}…) in JSON,
 * code or plain text ({@code app_secret=…}, {@code app_secret: …}, {@code app_secret：…}, {@code "app_secret" => …},
 * {@code app_secret 是 …}), {@code Bearer} values and bare Feishu tokens ({@code t-…}, {@code u-…}, {@code a-…} with
 * {@code _} and {@code -}; https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code). A masked
 * value keeps a few leading characters, e.g. {@code t-abc…(masked)}; masking twice changes nothing. {@link #mayHold}
 * is the one test of whether a text may hold a secret at all: the inbox (what is stored) and the diagnosis (what is
 * replied) both go through it.
 */
public final class Secrets {
    /** What replaces the rest of a secret. */
    public static final String MASK = "\u2026(masked)";

    /** Value characters: printable ASCII (secrets are) but no quote, separator or escape; a dot only inside the value. */
    private static final String VALUE_CHARS = "\\x21-\\x7E&&[^\"',;&{}()<>\\[\\]\\\\";
    /**
     * A value: stops at prose in another script, at a sentence's final dot and at an existing mask; possessive, so a
     * mask is never re-masked.
     */
    private static final String VALUE = "((?:[" + VALUE_CHARS + ".]]|\\.(?=[" + VALUE_CHARS + "]])){4,}+)(?!\u2026)";
    /** A secret-named key and its separator: JSON, code or prose ({@code =}, {@code :}, {@code ：}, {@code =>}, {@code :=}, is, 是, 为). */
    private static final String KEY = "((?:\\\\?[\"'])?([A-Za-z_-]{0,40}?(?:secret|token|encrypt_?key|password|passwd)(?:_?key|_?value)?)(?:\\\\?[\"'])?"
            + "(?:\\s*(?:=>|:=|[:=\uFF1A\uFF1D])|\\s+is(?=\\s)|\\s*[\u662F\u4E3A])\\s*(?:\\\\?[\"'])?(?>(?:bearer\\s+)?))";
    private static final Pattern KEYED = Pattern.compile(KEY + VALUE, Pattern.CASE_INSENSITIVE);
    private static final Pattern BEARER = Pattern.compile("(\\bbearer\\s+)" + VALUE, Pattern.CASE_INSENSITIVE);
    private static final Pattern BARE_TOKEN = Pattern.compile(
            "(?<![A-Za-z0-9_.\\-])([tua]-[A-Za-z0-9](?:[A-Za-z0-9_\\-]|\\.(?=[A-Za-z0-9_\\-])){15,}+)(?!\u2026)");
    /** The mask as an earlier pass left it, also after NFKC (which spells the ellipsis as three dots). */
    private static final String EARLIER_MASK = "(?:\u2026|\\.\\.\\.)\\(masked\\)";
    /** A value masked by an earlier pass (the inbox masks before it stores): what is left of it and the mask. */
    private static final String MASKED_VALUE = "([" + VALUE_CHARS + ".]]{0,5}+" + EARLIER_MASK + ")";
    /** Earlier masks by their kind, most specific first: keyed, then {@code Bearer}, then a bare token. */
    private static final List<Pattern> EARLIER = List.of(
            Pattern.compile(KEY + MASKED_VALUE, Pattern.CASE_INSENSITIVE),
            Pattern.compile("(\\bbearer\\s+)" + MASKED_VALUE, Pattern.CASE_INSENSITIVE),
            Pattern.compile("(?<![A-Za-z0-9_.\\-])()([tua]-[A-Za-z0-9_\\-]{0,3}+" + EARLIER_MASK + ")"));
    private static final Pattern TOKEN_PREFIX = Pattern.compile("[tua]-.*");
    /** The words every keyed or {@code Bearer} secret contains (lower case); see {@link #mayHold}. */
    private static final String[] KEY_WORDS = {"secret", "token", "encrypt", "passw", "bearer"};
    /** Characters after {@code t-} in a bare token as {@link #BARE_TOKEN} counts them, dots included (a superset). */
    private static final int BARE_TOKEN_MIN = 16;

    private Secrets() {}

    /** One secret found in the text: what it was called (the key, {@code Bearer} or {@code token}) and its masked form. */
    public record Found(String label, String masked) {
        /** {@code tenant}, {@code user} or {@code app} for a Feishu token by its prefix, otherwise empty. */
        public String tokenType() {
            if (masked.startsWith("t-")) return "tenant";
            if (masked.startsWith("u-")) return "user";
            if (masked.startsWith("a-")) return "app";
            return "";
        }
    }

    /** The text with every secret masked, and what was masked: what an earlier pass masked first, then the new ones. */
    public record Masked(String text, List<Found> found) {
        public boolean any() {
            return !found.isEmpty();
        }
    }

    /**
     * Whether the text may hold a secret: a cheap look (no regex, one pass per word) for what every masking rule
     * needs, a secret-like key word or a bare token's {@code t-}/{@code u-}/{@code a-} and 16 token characters. False
     * means {@link #scan} would find nothing, so a caller on a hot path may skip it; {@link #scan} asks it first too.
     */
    public static boolean mayHold(String text) {
        if (text == null || text.length() < 6) return false;
        if (text.contains("(masked)")) return true;
        String lower = text.toLowerCase(Locale.ROOT);
        for (String w : KEY_WORDS) if (lower.contains(w)) return true;
        return bareTokenAhead(text);
    }

    /** A {@code t-}, {@code u-} or {@code a-} not inside a word, then an alphanumeric and 15 more token characters. */
    private static boolean bareTokenAhead(String text) {
        for (int dash = text.indexOf('-', 1); dash >= 0; dash = text.indexOf('-', dash + 1)) {
            char p = text.charAt(dash - 1);
            if (p != 't' && p != 'u' && p != 'a') continue;
            if (dash >= 2 && tokenChar(text.charAt(dash - 2))) continue;
            int run = 0;
            for (int i = dash + 1; i < text.length() && tokenChar(text.charAt(i)); i++) {
                if (++run >= BARE_TOKEN_MIN) return true;
            }
        }
        return false;
    }

    private static boolean tokenChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.');
    }

    /** The text with every secret value masked; null stays null. */
    public static String mask(String text) {
        return text == null ? null : scan(text).text();
    }

    /** Masks the text and reports what it masked. */
    public static Masked scan(String text) {
        if (text == null || !mayHold(text)) return new Masked(text == null ? "" : text, List.of());
        return scanEverything(text);
    }

    /** {@link #scan} without the cheap look first (tests check that the look never hides what this finds). */
    static Masked scanEverything(String text) {
        List<Found> found = earlier(text);
        String t = replace(KEYED, text, m -> {
            if (!secretLike(m.group(3))) return m.group();
            String masked = masked(m.group(3));
            found.add(new Found(m.group(2), masked));
            return m.group(1) + masked;
        });
        t = replace(BEARER, t, m -> {
            if (!secretLike(m.group(2))) return m.group();
            String masked = masked(m.group(2));
            found.add(new Found("Bearer", masked));
            return m.group(1) + masked;
        });
        t = replace(BARE_TOKEN, t, m -> {
            String masked = masked(m.group(1));
            found.add(new Found("token", masked));
            return masked;
        });
        return new Masked(t, List.copyOf(found));
    }

    /**
     * Values an earlier pass masked, in order of appearance: found again (so a diagnosis still warns about them and
     * tells a token's type) but left as they are.
     */
    private static List<Found> earlier(String text) {
        if (!text.contains("(masked)")) return new ArrayList<>();
        TreeMap<Integer, Found> at = new TreeMap<>();
        for (int kind = 0; kind < EARLIER.size(); kind++) {
            Matcher m = EARLIER.get(kind).matcher(text);
            while (m.find()) {
                int value = m.groupCount();
                String label = kind == 0 ? m.group(2) : kind == 1 ? "Bearer" : "token";
                at.putIfAbsent(m.start(value), new Found(label, m.group(value)));
            }
        }
        return new ArrayList<>(at.values());
    }

    /** A value, not a word: at least 8 characters with a digit, or at least 20 ("token: must start with t-" is no secret). */
    static boolean secretLike(String value) {
        return value.length() >= 20 || (value.length() >= 8 && value.chars().anyMatch(Character::isDigit));
    }

    /** {@code t-abc…(masked)} for a Feishu token, the first three characters of a long secret, nothing of a short one. */
    static String masked(String value) {
        int keep = TOKEN_PREFIX.matcher(value).matches() ? 5 : value.length() >= 16 ? 3 : 0;
        return value.substring(0, Math.min(keep, value.length() / 3)) + MASK;
    }

    private interface Replacer {
        String apply(Matcher m);
    }

    private static String replace(Pattern p, String text, Replacer r) {
        Matcher m = p.matcher(text);
        StringBuilder b = null;
        int last = 0;
        while (m.find()) {
            if (b == null) b = new StringBuilder(text.length());
            b.append(text, last, m.start()).append(r.apply(m));
            last = m.end();
        }
        if (b == null) return text;
        return b.append(text, last, text.length()).toString();
    }
}
