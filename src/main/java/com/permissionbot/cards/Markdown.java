package com.permissionbot.cards;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Escapes untrusted text for the card markdown element with HTML numeric entities, so no {@code <at>}, link,
 * heading or emphasis in user or platform text becomes live (protocol §6.1,
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text).
 */
public final class Markdown {
    /** A list item longer than this (in code points) is cut and ends with an ellipsis. */
    public static final int MAX_ITEM_CHARS = 200;

    private Markdown() {}

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
