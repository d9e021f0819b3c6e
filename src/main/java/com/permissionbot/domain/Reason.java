package com.permissionbot.domain;

import java.util.regex.Pattern;

/**
 * The reason a person types with an application, as it is kept and shown: one line (line breaks and other control
 * characters folded into single spaces, direction overrides dropped), secrets masked like pasted text
 * ({@link Secrets#mask}), at most {@link #MAX_CHARS} characters (a longer one is cut and ends with an ellipsis).
 * Still untrusted text: cards escape it like any other.
 */
public final class Reason {
    /** The longest reason kept, in characters (code points). */
    public static final int MAX_CHARS = 200;
    /** What is read of a longer text at most (a hostile 1 MiB one is not scanned for secrets whole). */
    private static final int READ_CHARS = 8 * MAX_CHARS;

    private static final Pattern BREAKS = Pattern.compile("[\\p{Cc}\\p{Zl}\\p{Zp}\\s]+");
    /** Bidirectional embeddings, overrides and isolates: they could make a reason read as something else. */
    private static final Pattern DIRECTION = Pattern.compile("[\\u202A-\\u202E\\u2066-\\u2069]");

    private Reason() {}

    /** The reason as kept; empty for none. */
    public static String of(String typed) {
        if (typed == null) return "";
        String head = typed.length() <= READ_CHARS ? typed
                : typed.substring(0, Character.isHighSurrogate(typed.charAt(READ_CHARS - 1)) ? READ_CHARS - 1 : READ_CHARS);
        String line = BREAKS.matcher(DIRECTION.matcher(head).replaceAll("")).replaceAll(" ").strip();
        String masked = Secrets.mask(line);
        if (masked.codePointCount(0, masked.length()) <= MAX_CHARS) return masked;
        return masked.substring(0, masked.offsetByCodePoints(0, MAX_CHARS - 1)) + "\u2026";
    }
}
