package com.permissionbot.feishu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.permissionbot.domain.BotAdded;
import com.permissionbot.domain.CardClick;
import com.permissionbot.domain.IncomingMessage;

import com.permissionbot.domain.ApprovalInstanceEvent;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Turns the platform's event JSON into the conversation's records, tolerating absent fields. */
public final class EventParser {
    private static final ObjectMapper JSON = Wire.JSON;

    private EventParser() {}

    public static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message/events/receive : the decrypted event as stored. */
    public static IncomingMessage message(String json) {
        return message(tree(json));
    }

    static IncomingMessage message(JsonNode body) {
        Envelope env = Envelope.of(body);
        JsonNode m = body.path("event").path("message");
        JsonNode sender = body.path("event").path("sender");
        String type = Envelope.text(m, "message_type");
        String text = "";
        if ("text".equals(type)) {
            text = Envelope.text(tree(Envelope.text(m, "content").isEmpty() ? "{}" : Envelope.text(m, "content")), "text");
        } else if ("post".equals(type)) {
            text = postText(tree(Envelope.text(m, "content").isEmpty() ? "{}" : Envelope.text(m, "content")));
        }
        List<IncomingMessage.Mention> mentions = new ArrayList<>();
        for (JsonNode x : m.path("mentions")) {
            mentions.add(new IncomingMessage.Mention(Envelope.text(x, "key"), Envelope.text(x.path("id"), "open_id"),
                    Envelope.text(x, "name")));
        }
        return new IncomingMessage(env.eventId(), env.tenantKey(), Envelope.text(m, "message_id"), Envelope.text(m, "chat_id"),
                Envelope.text(m, "chat_type"), Envelope.text(sender.path("sender_id"), "open_id"), type, text, mentions);
    }

    /** A rich-text (post) message as plain text: every text and @ node of every paragraph, any language. */
    private static String postText(JsonNode content) {
        JsonNode post = content.has("content") ? content : content.elements().hasNext() ? content.elements().next() : content;
        StringBuilder b = new StringBuilder();
        String title = Envelope.text(post, "title");
        if (!title.isEmpty()) b.append(title).append('\n');
        for (JsonNode para : post.path("content")) {
            for (JsonNode node : para) {
                String tag = Envelope.text(node, "tag");
                if (tag.equals("text") || tag.equals("a") || tag.equals("code_block")) b.append(Envelope.text(node, "text"));
                else if (tag.equals("at")) b.append(Envelope.text(node, "user_id").isEmpty() ? "" : "@" + Envelope.text(node, "user_name"));
            }
            b.append('\n');
        }
        return b.toString().trim();
    }

    /** https://open.feishu.cn/document/server-docs/group/chat-member/event/added-2 : the decrypted event as stored. */
    public static BotAdded botAdded(String json) {
        JsonNode body = tree(json);
        Envelope env = Envelope.of(body);
        JsonNode e = body.path("event");
        return new BotAdded(env.eventId(), env.tenantKey(), Envelope.text(e, "chat_id"),
                Envelope.text(e.path("operator_id"), "open_id"), Envelope.text(e, "name"));
    }

    /**
     * https://open.feishu.cn/document/feishu-cards/card-callback-communication (new) and
     * https://open.feishu.cn/document/deprecated-guide/message-card/configuring-card-callbacks/card-callback-structure
     * (legacy); a form's submit button also brings {@code action.form_value}, the form's inputs by name
     * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container).
     */
    public static CardClick cardClick(JsonNode body) {
        boolean legacy = !body.has("schema");
        JsonNode e = legacy ? body : body.path("event");
        JsonNode ctx = e.path("context");
        String messageId = first(Envelope.text(ctx, "open_message_id"), Envelope.text(e, "open_message_id"));
        String chatId = first(Envelope.text(ctx, "open_chat_id"), Envelope.text(e, "open_chat_id"));
        String operator = legacy ? Envelope.text(e, "open_id") : Envelope.text(e.path("operator"), "open_id");
        String tenant = legacy ? Envelope.text(e, "tenant_key") : first(Envelope.text(body.path("header"), "tenant_key"),
                Envelope.text(e.path("operator"), "tenant_key"));
        JsonNode v = e.path("action").path("value");
        Map<String, String> value = strings(v);
        if (v.isTextual()) value.put("action", v.asText());
        return new CardClick(tenant, messageId, chatId, operator, value, Envelope.text(e, "token"),
                strings(e.path("action").path("form_value")));
    }

    /** An object's fields as strings: null as empty, a value that is not one (a multi-select's list) as its JSON. */
    private static Map<String, String> strings(JsonNode o) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o.isObject()) o.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().isNull() ? ""
                : f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString()));
        return out;
    }

    private static String first(String a, String b) {
        return a.isEmpty() ? b : a;
    }

    /** Millisecond timestamps below this are read as seconds (10^11 ms is in 1973). */
    private static final long SECONDS_BELOW = 100_000_000_000L;
    private static final Pattern NUMBER = Pattern.compile("\\d{1,19}(\\.\\d+)?");

    /**
     * https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event : the decrypted
     * 1.0 envelope. {@code operate_time} is a millisecond string, but an integer for REVERTED: both are
     * read; without it, {@code instance_operate_time}, then the envelope's {@code ts}, then {@code now}. Throws
     * {@link IllegalArgumentException} naming what is missing.
     */
    public static ApprovalInstanceEvent approvalInstance(String json, Instant now) {
        JsonNode body = tree(json);
        JsonNode e = body.path("event");
        String type = trimmed(e, "type");
        if (!type.isEmpty() && !"approval_instance".equals(type)) {
            throw new IllegalArgumentException("not an approval_instance event: " + type);
        }
        String approvalCode = trimmed(e, "approval_code");
        String instanceCode = trimmed(e, "instance_code");
        String status = trimmed(e, "status");
        if (approvalCode.isEmpty()) throw new IllegalArgumentException("approval_code is missing");
        if (instanceCode.isEmpty()) throw new IllegalArgumentException("instance_code is missing");
        if (status.isEmpty()) throw new IllegalArgumentException("status is missing");
        Instant at = millis(e.path("operate_time"))
                .or(() -> millis(e.path("instance_operate_time")))
                .or(() -> millis(body.path("ts")))
                .orElse(now);
        return new ApprovalInstanceEvent(trimmed(body, "uuid"), trimmed(e, "tenant_key"), approvalCode, instanceCode, status, at);
    }

    /** A timestamp given as an integer or a string of digits (milliseconds, or seconds with a fraction). */
    static Optional<Instant> millis(JsonNode v) {
        BigDecimal n;
        if (v.isNumber()) {
            n = v.decimalValue();
        } else if (v.isTextual() && NUMBER.matcher(v.asText().trim()).matches()) {
            n = new BigDecimal(v.asText().trim());
        } else {
            return Optional.empty();
        }
        if (n.signum() <= 0) return Optional.empty();
        long ms = n.compareTo(BigDecimal.valueOf(SECONDS_BELOW)) < 0 ? n.movePointRight(3).longValue() : n.longValue();
        return Optional.of(Instant.ofEpochMilli(ms));
    }

    private static String trimmed(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isValueNode() && !v.isNull() ? v.asText("").trim() : "";
    }
}
