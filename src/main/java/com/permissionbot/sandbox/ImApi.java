package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.util.List;
import java.util.Set;

/** Sending, replying to and updating IM messages as the bot. */
final class ImApi {

    static final String MESSAGES = "/open-apis/im/v1/messages";
    static final String REPLY = "/open-apis/im/v1/messages/{message_id}/reply";
    static final String MESSAGE = "/open-apis/im/v1/messages/{message_id}";

    static final List<String> SEND_SCOPES = List.of("im:message", "im:message:send_as_bot", "im:message:send");
    static final List<String> PATCH_SCOPES = List.of("im:message", "im:message:send_as_bot", "im:message:update");
    static final Set<String> RECEIVE_ID_TYPES = Set.of("open_id", "union_id", "user_id", "email", "chat_id");

    private final EmulatorConfig config;
    private final MessageStore store;

    ImApi(EmulatorConfig config, MessageStore store) {
        this.config = config;
        this.store = store;
    }

    void register(Router r) {
        r.secured(HandlerType.POST, MESSAGES, SEND_SCOPES, this::send);
        r.secured(HandlerType.POST, REPLY, SEND_SCOPES, this::reply);
        r.secured(HandlerType.PATCH, MESSAGE, PATCH_SCOPES, this::patch);
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message/create */
    private void send(Context ctx) {
        String idType = ctx.queryParam("receive_id_type");
        if (idType == null || idType.isEmpty()) {
            throw ApiException.fieldValidation("receive_id_type is required");
        }
        if (!RECEIVE_ID_TYPES.contains(idType)) {
            throw ApiException.fieldValidation("receive_id_type must be one of " + RECEIVE_ID_TYPES);
        }
        JsonNode body = Envelope.body(ctx);
        String receiveId = text(body, "receive_id");
        if (receiveId == null || receiveId.isEmpty()) {
            throw ApiException.fieldValidation("receive_id is required");
        }
        String chatId = idType.equals("chat_id") ? receiveId : MessageStore.p2pChatId(receiveId);
        ImMessage m = store.send(chatId, text(body, "msg_type"), text(body, "content"), text(body, "uuid"));
        Envelope.success(ctx, json(m));
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message/reply */
    private void reply(Context ctx) {
        JsonNode body = Envelope.body(ctx);
        ImMessage m = store.reply(ctx.pathParam("message_id"), text(body, "msg_type"), text(body, "content"),
                body.path("reply_in_thread").asBoolean(false), text(body, "uuid"));
        Envelope.success(ctx, json(m));
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message-card/patch */
    private void patch(Context ctx) {
        JsonNode body = Envelope.body(ctx);
        String content = text(body, "content");
        if (content == null) {
            throw ApiException.fieldValidation("content is required");
        }
        store.patch(ctx.pathParam("message_id"), content);
        Envelope.success(ctx, Envelope.object());
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalidParam(field + " must be a string");
        }
        return v.asText();
    }

    private ObjectNode json(ImMessage m) {
        ObjectNode o = Envelope.object().put("message_id", m.messageId());
        if (m.rootId() != null) {
            o.put("root_id", m.rootId());
        }
        if (m.parentId() != null) {
            o.put("parent_id", m.parentId());
        }
        if (m.threadId() != null) {
            o.put("thread_id", m.threadId());
        }
        o.put("msg_type", m.msgType())
                .put("create_time", Long.toString(m.createTime().toEpochMilli()))
                .put("update_time", Long.toString(m.updateTime().toEpochMilli()))
                .put("deleted", false)
                .put("updated", m.updated())
                .put("chat_id", m.chatId());
        o.putObject("sender").put("id", config.appId()).put("id_type", "app_id").put("sender_type", "app")
                .put("tenant_key", config.tenantKey());
        o.putObject("body").put("content", m.content());
        return o;
    }
}
