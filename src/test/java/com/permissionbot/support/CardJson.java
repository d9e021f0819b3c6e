package com.permissionbot.support;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reading the bot's cards in tests. */
public final class CardJson {
    private CardJson() {}

    /** The card's JSON as a tree, to look into in assertions. */
    public static JsonNode tree(com.permissionbot.cards.Card card) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(card.toJson());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The callback value of the first button with this action, found anywhere in the card. */
    public static Map<String, String> button(JsonNode n, String action) {
        if (n.isObject()) {
            if ("button".equals(n.path("tag").asText())) {
                for (JsonNode b : n.path("behaviors")) {
                    JsonNode v = b.path("value");
                    if (action.equals(v.path("action").asText())) {
                        Map<String, String> out = new LinkedHashMap<>();
                        v.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
                        return out;
                    }
                }
            }
            for (JsonNode c : n) {
                Map<String, String> found = button(c, action);
                if (found != null) return found;
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) {
                Map<String, String> found = button(c, action);
                if (found != null) return found;
            }
        }
        return null;
    }

}
