package com.permissionbot.cards;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A readable rendering of a card in one language: header title, then each text and button ({@code [label]}) in order. */
final class CardText {
    private static final Pattern ENTITY = Pattern.compile("&#(\\d+);");

    private CardText() {}

    static String of(JsonNode card, String lang) {
        List<String> blocks = new ArrayList<>();
        JsonNode header = card.path("header");
        blocks.add("# " + text(header.path("title"), lang));
        if (header.has("subtitle")) blocks.add("## " + text(header.path("subtitle"), lang));
        walk(card.path("body").path("elements"), lang, blocks);
        return String.join("\n\n", blocks) + "\n";
    }

    private static void walk(JsonNode n, String lang, List<String> out) {
        if (n.isArray()) {
            for (JsonNode c : n) walk(c, lang, out);
            return;
        }
        if (!n.isObject()) return;
        switch (n.path("tag").asText("")) {
            case "markdown", "plain_text", "lark_md" -> out.add(text(n, lang));
            case "button" -> out.add("[" + text(n.path("text"), lang) + "]");
            case "hr" -> out.add("---");
            default -> n.forEach(c -> walk(c, lang, out));
        }
    }

    private static String text(JsonNode t, String lang) {
        return decode(t.path("i18n_content").path(lang).asText(t.path("content").asText()));
    }

    /** Numeric entities back to characters, so escaped names read naturally. */
    static String decode(String s) {
        Matcher m = ENTITY.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) m.appendReplacement(b, Matcher.quoteReplacement(new String(Character.toChars(Integer.parseInt(m.group(1))))));
        m.appendTail(b);
        return b.toString();
    }
}
