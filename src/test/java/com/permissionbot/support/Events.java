package com.permissionbot.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Platform-shaped event payloads for tests; see
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/overview and
 * https://open.feishu.cn/document/feishu-cards/card-callback-communication
 */
public final class Events {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Events() {}

    private static ObjectNode header(String eventId, String type) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", "2.0");
        root.putObject("header").put("event_id", eventId).put("event_type", type).put("create_time", "1608725989000")
                .put("token", BotHarness.TOKEN).put("app_id", "cli_sandbox").put("tenant_key", "tenant_sandbox");
        return root;
    }

    /** A p2p text message from {@code ou_alice}. */
    public static String p2p(String eventId, String messageId, String text) {
        return message(eventId, messageId, "oc_p2p_alice", "p2p", text, null);
    }

    /** A group text message; {@code mentionOpenId} (if not null) is @_user_1. */
    public static String group(String eventId, String messageId, String text, String mentionOpenId) {
        return message(eventId, messageId, "oc_group_1", "group", text, mentionOpenId);
    }

    private static String message(String eventId, String messageId, String chatId, String chatType, String text, String mention) {
        ObjectNode root = header(eventId, "im.message.receive_v1");
        ObjectNode ev = root.putObject("event");
        ev.putObject("sender").put("sender_type", "user").put("tenant_key", "tenant_sandbox")
                .putObject("sender_id").put("open_id", "ou_alice").put("union_id", "on_alice").put("user_id", "alice");
        ObjectNode m = ev.putObject("message");
        m.put("message_id", messageId).put("chat_id", chatId).put("chat_type", chatType).put("message_type", "text")
                .put("create_time", "1609073151345").put("content", JSON.createObjectNode().put("text", text).toString());
        if (mention != null) {
            m.putArray("mentions").addObject().put("key", "@_user_1").put("name", "Permission Bot").put("tenant_key", "tenant_sandbox")
                    .putObject("id").put("open_id", mention).put("union_id", "on_bot").put("user_id", "");
        }
        return root.toString();
    }

    public static String botAdded(String eventId, String chatId, String chatName) {
        ObjectNode root = header(eventId, "im.chat.member.bot.added_v1");
        root.putObject("event").put("chat_id", chatId).put("name", chatName).put("external", false)
                .putObject("operator_id").put("open_id", "ou_alice");
        return root.toString();
    }

    public static String challenge(String token, String challenge) {
        return JSON.createObjectNode().put("challenge", challenge).put("token", token).put("type", "url_verification").toString();
    }

    /** A card.action.trigger callback on {@code messageId} by {@code operator} with a flat string value. */
    public static String click(String eventId, String messageId, String operator, String... keyValues) {
        java.util.Map<String, String> value = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) value.put(keyValues[i], keyValues[i + 1]);
        return click(eventId, messageId, operator, value, java.util.Map.of());
    }

    /**
     * A click on {@code messageId}'s button with {@code value}; with a {@code form} (input name to text), the submit of
     * the form the button is in, whose inputs come as {@code action.form_value}.
     */
    public static String click(String eventId, String messageId, String operator, java.util.Map<String, String> value,
                               java.util.Map<String, String> form) {
        ObjectNode root = header(eventId, "card.action.trigger");
        ObjectNode ev = root.putObject("event");
        ev.putObject("operator").put("open_id", operator).put("tenant_key", "tenant_sandbox");
        ev.put("token", "c-update-token");
        ObjectNode action = ev.putObject("action").put("tag", "button");
        value.forEach(action.putObject("value")::put);
        if (!form.isEmpty()) form.forEach(action.putObject("form_value")::put);
        ev.put("host", "im_message");
        ev.putObject("context").put("open_message_id", messageId).put("open_chat_id", "oc_p2p_alice");
        return root.toString();
    }

    /** The same event with another verification token. */
    public static String withToken(String json, String token) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(json);
            ((ObjectNode) n.get("header")).put("token", token);
            return n.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
