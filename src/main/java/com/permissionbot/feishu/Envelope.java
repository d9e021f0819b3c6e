package com.permissionbot.feishu;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The identifying fields of a decrypted event or callback of either schema: 2.0 has
 * {@code header.event_id/token/event_type}, 1.0 has {@code uuid/token/event.type}; see
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/overview
 */
public record Envelope(String eventId, String token, String type, String tenantKey, JsonNode body) {

    public static Envelope of(JsonNode body) {
        JsonNode h = body.path("header");
        if (body.has("schema") && h.isObject()) {
            return new Envelope(text(h, "event_id"), text(h, "token"), text(h, "event_type"), text(h, "tenant_key"), body);
        }
        JsonNode e = body.path("event");
        return new Envelope(text(body, "uuid"), text(body, "token"), text(e, "type"), text(e, "tenant_key"), body);
    }

    /** The inbox key: message_id for messages (Feishu re-pushes a message under a new event id), else the event id. */
    public String dedupKey() {
        if ("im.message.receive_v1".equals(type)) {
            String mid = text(body.path("event").path("message"), "message_id");
            if (!mid.isEmpty()) return "msg:" + mid;
        }
        return "event:" + eventId;
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isValueNode() ? v.asText("") : "";
    }
}
