package com.permissionbot.cards;

/**
 * Escapes untrusted text for the card markdown element with HTML numeric entities, so no {@code <at>}, link,
 * heading or emphasis in user or platform text becomes live (protocol §6.1,
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text).
 */
public final class Markdown {
    private Markdown() {}

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
