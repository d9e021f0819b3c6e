package com.permissionbot.cards;

import java.nio.charset.StandardCharsets;

/** A rendered card, opaque to its users: the template's name and the JSON 2.0 text to send, patch or answer with. */
public record Card(String name, String json) {

    /** The card JSON, as sent to the platform. */
    public String toJson() {
        return json;
    }

    /** Its size on the wire (the platform takes at most 30 KB). */
    public int bytes() {
        return json.getBytes(StandardCharsets.UTF_8).length;
    }
}
