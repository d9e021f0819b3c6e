package com.permissionbot.sandbox;

import com.lark.oapi.service.im.v1.model.CreateMessageReq;
import com.lark.oapi.service.im.v1.model.CreateMessageReqBody;
import com.lark.oapi.service.im.v1.model.CreateMessageResp;
import com.lark.oapi.service.im.v1.model.PatchMessageReq;
import com.lark.oapi.service.im.v1.model.PatchMessageReqBody;
import com.lark.oapi.service.im.v1.model.PatchMessageResp;
import com.lark.oapi.service.im.v1.model.ReplyMessageReq;
import com.lark.oapi.service.im.v1.model.ReplyMessageReqBody;
import com.lark.oapi.service.im.v1.model.ReplyMessageResp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesTest {

    private static final String CHAT = "oc_5ad11d72b830411d72b836c20";
    private static final String SHARED_V1 = "{\"config\":{\"update_multi\":true},\"elements\":[]}";
    private static final String SHARED_V2 = "{\"schema\":\"2.0\",\"body\":{\"elements\":[{\"tag\":\"markdown\",\"content\":\"hi\"}]}}";
    private static final String PRIVATE_V1 = "{\"config\":{\"wide_screen_mode\":true},\"elements\":[]}";

    private Harness h;
    private ImMessage question;

    @BeforeEach
    void start() {
        h = Harness.start();
        question = h.emulator.im().addUserMessage(CHAT, "ou_alice", "text", "{\"text\":\"quota\"}");
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private CreateMessageResp send(String idType, String receiveId, String msgType, String content, String uuid)
            throws Exception {
        return h.client.im().v1().message().create(CreateMessageReq.newBuilder().receiveIdType(idType)
                .createMessageReqBody(CreateMessageReqBody.newBuilder().receiveId(receiveId).msgType(msgType)
                        .content(content).uuid(uuid).build())
                .build());
    }

    private ReplyMessageResp reply(String messageId, String msgType, String content, String uuid) throws Exception {
        return h.client.im().v1().message().reply(ReplyMessageReq.newBuilder().messageId(messageId)
                .replyMessageReqBody(ReplyMessageReqBody.newBuilder().msgType(msgType).content(content).uuid(uuid)
                        .build())
                .build());
    }

    private PatchMessageResp patch(String messageId, String content) throws Exception {
        return h.client.im().v1().message().patch(PatchMessageReq.newBuilder().messageId(messageId)
                .patchMessageReqBody(PatchMessageReqBody.newBuilder().content(content).build()).build());
    }

    @Test
    void sending_to_a_chat_returns_the_message_object_and_records_it() throws Exception {
        CreateMessageResp r = send("chat_id", CHAT, "interactive", SHARED_V2, null);
        assertEquals(0, r.getCode(), r.getMsg());
        assertEquals("success", r.getMsg());
        assertTrue(r.getData().getMessageId().startsWith("om_"));
        assertEquals(CHAT, r.getData().getChatId());
        assertEquals("interactive", r.getData().getMsgType());
        assertEquals(SHARED_V2, r.getData().getBody().getContent());
        assertEquals("app", r.getData().getSender().getSenderType());
        assertEquals(h.emulator.config().appId(), r.getData().getSender().getId());

        List<SentMessage> sent = h.emulator.messages();
        assertEquals(1, sent.size());
        SentMessage m = sent.get(0);
        assertEquals(SentMessage.Kind.SEND, m.kind());
        assertEquals(r.getData().getMessageId(), m.messageId());
        assertEquals("hi", m.content().at("/body/elements/0/content").asText());
    }

    @Test
    void sending_to_an_open_id_lands_in_the_users_p2p_chat() throws Exception {
        CreateMessageResp r = send("open_id", "ou_alice", "text", "{\"text\":\"hello\"}", null);
        assertEquals(MessageStore.p2pChatId("ou_alice"), r.getData().getChatId());
    }

    @Test
    void a_repeated_uuid_returns_the_same_message_and_records_nothing_new() throws Exception {
        CreateMessageResp a = send("chat_id", CHAT, "text", "{\"text\":\"a\"}", "u-1");
        CreateMessageResp b = send("chat_id", CHAT, "text", "{\"text\":\"a\"}", "u-1");
        assertEquals(a.getData().getMessageId(), b.getData().getMessageId());
        assertEquals(1, h.emulator.messages().size());
        CreateMessageResp c = send("chat_id", CHAT, "text", "{\"text\":\"a\"}", "u-2");
        assertNotEquals(a.getData().getMessageId(), c.getData().getMessageId());
        assertEquals(2, h.emulator.messages().size());
    }

    @Test
    void a_reply_threads_under_the_question_and_is_idempotent_by_uuid() throws Exception {
        ReplyMessageResp a = reply(question.messageId(), "interactive", SHARED_V2, "apply-42");
        assertEquals(0, a.getCode(), a.getMsg());
        assertEquals(question.messageId(), a.getData().getParentId());
        assertEquals(question.messageId(), a.getData().getRootId());
        assertEquals(CHAT, a.getData().getChatId());
        ReplyMessageResp b = reply(question.messageId(), "interactive", SHARED_V2, "apply-42");
        assertEquals(a.getData().getMessageId(), b.getData().getMessageId());

        List<SentMessage> sent = h.emulator.messages();
        assertEquals(1, sent.size());
        assertEquals(SentMessage.Kind.REPLY, sent.get(0).kind());
        assertEquals(question.messageId(), sent.get(0).parentId());
        assertEquals("apply-42", sent.get(0).uuid());
    }

    @Test
    void replying_to_an_unknown_message_is_99992354() throws Exception {
        ReplyMessageResp r = reply("om_unknown", "text", "{\"text\":\"x\"}", null);
        assertEquals(99992354, r.getCode());
        assertEquals(400, r.getRawResponse().getStatusCode());
        assertTrue(h.emulator.messages().isEmpty());
    }

    @Test
    void content_must_be_a_json_object_in_a_string() throws Exception {
        assertEquals(230001, send("chat_id", CHAT, "text", "hello", null).getCode());
        assertEquals(230001, send("chat_id", CHAT, "text", "[1,2]", null).getCode());
        assertEquals(230001, send("chat_id", CHAT, "carrier_pigeon", "{}", null).getCode());
        assertTrue(h.emulator.messages().isEmpty());
    }

    @Test
    void send_needs_a_receive_id_type() throws Exception {
        Harness.Reply r = h.call("POST", ImApi.MESSAGES, "{\"receive_id\":\"oc_x\",\"msg_type\":\"text\",\"content\":\"{}\"}",
                h.token());
        assertEquals(99992402, r.body().get("code").asInt());
    }

    @Test
    void a_card_over_30_kb_is_230025() throws Exception {
        String big = "{\"schema\":\"2.0\",\"body\":{\"elements\":[{\"tag\":\"markdown\",\"content\":\"" + "x".repeat(31 * 1024)
                + "\"}]}}";
        CreateMessageResp r = send("chat_id", CHAT, "interactive", big, null);
        assertEquals(230025, r.getCode());
        assertEquals(0, send("chat_id", CHAT, "text", "{\"text\":\"" + "x".repeat(31 * 1024) + "\"}", null).getCode());
    }

    @Test
    void patching_a_shared_card_replaces_its_content_and_records_a_patch() throws Exception {
        String id = reply(question.messageId(), "interactive", SHARED_V1, null).getData().getMessageId();
        PatchMessageResp r = patch(id, SHARED_V2);
        assertEquals(0, r.getCode(), r.getMsg());
        assertEquals(SHARED_V2, h.emulator.im().find(id).orElseThrow().content());
        assertTrue(h.emulator.im().find(id).orElseThrow().updated());
        List<SentMessage> sent = h.emulator.messages();
        assertEquals(SentMessage.Kind.PATCH, sent.get(1).kind());
        assertEquals(id, sent.get(1).messageId());
    }

    @Test
    void patching_a_card_without_update_multi_is_refused() throws Exception {
        String id = send("chat_id", CHAT, "interactive", PRIVATE_V1, null).getData().getMessageId();
        PatchMessageResp r = patch(id, SHARED_V2);
        assertEquals(230001, r.getCode());
        assertTrue(r.getMsg().contains("update_multi"), r.getMsg());

        String shared = send("chat_id", CHAT, "interactive", SHARED_V2, null).getData().getMessageId();
        PatchMessageResp toPrivate = patch(shared, PRIVATE_V1);
        assertEquals(230001, toPrivate.getCode());
        assertEquals(SHARED_V2, h.emulator.im().find(shared).orElseThrow().content());
    }

    @Test
    void patching_an_unknown_or_foreign_or_text_message_fails() throws Exception {
        assertEquals(99992354, patch("om_unknown", SHARED_V2).getCode());
        assertEquals(230017, patch(question.messageId(), SHARED_V2).getCode());
        String text = send("chat_id", CHAT, "text", "{\"text\":\"t\"}", null).getData().getMessageId();
        assertEquals(230054, patch(text, SHARED_V2).getCode());
        assertEquals(1, h.emulator.messages().size());
    }

    @Test
    void clearing_messages_empties_the_log_but_keeps_cards_patchable() throws Exception {
        String id = send("chat_id", CHAT, "interactive", SHARED_V2, null).getData().getMessageId();
        h.emulator.clearMessages();
        assertTrue(h.emulator.messages().isEmpty());
        assertEquals(0, patch(id, SHARED_V2).getCode());
        assertFalse(h.emulator.messages().isEmpty());
    }

    @Test
    void with_scope_enforcement_on_a_revoked_send_scope_is_99991672() throws Exception {
        h.tenant().setEnforceScopes(true);
        assertEquals(0, send("chat_id", CHAT, "text", "{\"text\":\"ok\"}", null).getCode());
        h.tenant().revoke("im:message");
        h.tenant().revoke("im:message:send_as_bot");
        assertEquals(99991672, send("chat_id", CHAT, "text", "{\"text\":\"no\"}", null).getCode());
    }
}
