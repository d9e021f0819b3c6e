package com.permissionbot.cards;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Escapes untrusted text for the card markdown element with HTML numeric entities, so no {@code <at>}, link,
 * heading or emphasis in user or platform text becomes live
 * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text).
 */
public final class Markdown {
    /** A list item longer than this (in code points) is cut and ends with an ellipsis. */
    public static final int MAX_ITEM_CHARS = 200;

    /** An open_id as the platform issues it; only these become a person in markdown. */
    private static final Pattern OPEN_ID = Pattern.compile("ou_[A-Za-z0-9]{1,64}");

    private Markdown() {}

    /**
     * A person shown by name (and avatar) for a well-formed open_id: {@code <person id=ou_…></person>}, which displays
     * the user without notifying them (the rich-text page above); anything else is escaped text, and nothing is "-".
     */
    public static String person(String openId) {
        if (openId == null || openId.isBlank()) return "-";
        return OPEN_ID.matcher(openId).matches() ? "<person id=" + openId + "></person>" : escape(openId);
    }

    /** A markdown bullet list of items that are markdown already (built from {@link #escape} and {@link #person}). */
    public static String bulletsOf(List<String> markdownItems) {
        StringBuilder b = new StringBuilder();
        for (String item : markdownItems) {
            if (b.length() > 0) b.append('\n');
            b.append("- ").append(item.replace('\n', ' ').replace('\r', ' '));
        }
        return b.toString();
    }

    /** A markdown bullet list of untrusted items, one per line, each escaped, cut to {@link #MAX_ITEM_CHARS}. */
    public static String bullets(List<String> items) {
        StringBuilder b = new StringBuilder();
        for (String item : items) {
            if (b.length() > 0) b.append('\n');
            b.append(bullet(item));
        }
        return b.toString();
    }

    /** What one item adds to {@link #bullets} and to the card JSON (the newline is {@code \n} there), in bytes. */
    public static int bulletBytes(String item) {
        return bullet(item).getBytes(StandardCharsets.UTF_8).length + 2;
    }

    private static String bullet(String item) {
        String s = item == null ? "" : item.replaceAll("\\p{Cntrl}", " ");
        if (s.codePointCount(0, s.length()) > MAX_ITEM_CHARS) {
            s = s.substring(0, s.offsetByCodePoints(0, MAX_ITEM_CHARS - 1)) + "\u2026";
        }
        return "- " + escape(s);
    }

    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<', '>', '[', ']', '(', ')', '*', '_', '~', '`', '#', '!', '\\', '-', '+', ':', '$', '"', '\'', '/', '|', '&', '{', '}' ->
                        b.append("&#").append((int) c).append(';');
                case '\r' -> { }
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
