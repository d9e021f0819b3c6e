package com.permissionbot.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets that people paste by mistake: values of secret- and token-named keys ({@code app_secret},
 * {@code appSecret}, {@code ClientSecret}, {@code tenant_access_token}, {@code x-acs-dingtalk-access-token}…),
 * {@code Bearer} values and bare Feishu tokens ({@code t-…}, {@code u-…}, {@code a-…}; protocol §5). A masked value
 * keeps a few leading characters, e.g. {@code t-abc…(masked)}; masking twice changes nothing.
 */
public final class Secrets {
    /** What replaces the rest of a secret. */
    public static final String MASK = "\u2026(masked)";

    /** Value characters: stops at quotes, separators, escapes and an existing mask; possessive, so a mask is never re-masked. */
    private static final String VALUE = "([^\\s\"',;&{}()<>\\[\\]\\\\\u2026]{4,}+)(?!\u2026)";
    private static final Pattern KEYED = Pattern.compile(
            "((?:\\\\?[\"'])?([A-Za-z_-]{0,40}?(?:secret|token|encrypt_?key|password|passwd)(?:_?key|_?value)?)(?:\\\\?[\"'])?"
                    + "\\s*[:=]\\s*(?:\\\\?[\"'])?(?>(?:bearer\\s+)?))" + VALUE,
            Pattern.CASE_INSENSITIVE);
    private static final Pattern BEARER = Pattern.compile("(\\bbearer\\s+)" + VALUE, Pattern.CASE_INSENSITIVE);
    private static final Pattern BARE_TOKEN = Pattern.compile(
            "(?<![A-Za-z0-9_.\\-])([tua]-[A-Za-z0-9](?:[A-Za-z0-9_\\-]|\\.(?=[A-Za-z0-9_\\-])){15,}+)(?!\u2026)");
    private static final Pattern TOKEN_PREFIX = Pattern.compile("[tua]-.*");

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

    /** The text with every secret masked, and what was masked (in order of appearance). */
    public record Masked(String text, List<Found> found) {
        public boolean any() {
            return !found.isEmpty();
        }
    }

    /** The text with every secret value masked; null stays null. */
    public static String mask(String text) {
        return text == null ? null : scan(text).text();
    }

    /** Masks the text and reports what it masked. */
    public static Masked scan(String text) {
        if (text == null || text.isEmpty()) return new Masked(text == null ? "" : text, List.of());
        List<Found> found = new ArrayList<>();
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
