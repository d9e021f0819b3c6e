package com.permissionbot.cards;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/** A rendered card: JSON 2.0 ready to send, reply with, patch, or return from a callback. */
public record Card(String name, ObjectNode json) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        try {
            return JSON.writeValueAsString(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A card from its name and JSON text, as stored (for example in the outbox). */
    public static Card parse(String name, String json) {
        try {
            return new Card(name, (ObjectNode) JSON.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | ClassCastException e) {
            throw new IllegalArgumentException("card " + name + " is not a JSON object", e);
        }
    }

    public int bytes() {
        return toJson().getBytes(StandardCharsets.UTF_8).length;
    }
}
