package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.sandbox.TenantState;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.InboxRow;
import com.permissionbot.support.BotHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Approval subscriptions and approval_instance status cards through real HTTP: encrypted, signed 1.0 envelopes
 * pushed to {@code /webhook/event}, the bot's real SDK client, and the emulator's subscribe rules and IM APIs.
 */
class ApprovalFlowTest extends FunctionalTest {
    static final String CODE = TenantState.SAMPLE_APPROVAL_CODE;
    static final String INSTANCE = "81D31358-93AF-92D6-7425-01A5D67C4E71";
    static final String SUBSCRIBE_API = "/open-apis/approval/v4/approvals/{approval_code}/subscribe";
    static final long T1 = 1_766_390_400_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * A plain approval_instance envelope (schema 1.0); {@code operateTime} a String or a Long. See
     * https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event
     */
    static String event(String uuid, String code, String instance, String status, Object operateTime) {
        ObjectNode root = JSON.createObjectNode();
        root.put("ts", "1766390400.1234567").put("uuid", uuid).put("token", BotHarness.TOKEN).put("type", "event_callback");
        ObjectNode e = root.putObject("event");
        e.put("app_id", "cli_sandbox").put("tenant_key", "tenant_sandbox").put("type", "approval_instance")
                .put("approval_code", code).put("instance_code", instance).put("status", status);
        if (operateTime instanceof Long l) e.put("operate_time", l);
        else e.put("operate_time", operateTime.toString());
        e.put("instance_operate_time", String.valueOf(T1));
        return root.toString();
    }

    private void push(String plain) {
        assertEquals(200, bot.push("/webhook/event", plain).statusCode(), "the event is acknowledged");
    }

    private List<SentMessage> cardsOf(String chatId, SentMessage.Kind kind) {
        return platform.messages().stream().filter(m -> m.kind() == kind && chatId.equals(m.chatId()) && m.parentId() == null).toList();
    }

    /** Waits until the inbox has finished the event with this uuid. */
    private void awaitHandled(String uuid) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            var row = bot.app.store().inboxFind("event:" + uuid);
            if (row.isPresent() && !row.get().status().equals(InboxRow.WORKING) && !row.get().status().equals("pending")) return;
            BotHarness.sleep(20);
        }
        throw new AssertionError("event " + uuid + " was not handled");
    }

    @Test
    void status_cards_are_sent_once_and_patched_in_place_through_duplicates_out_of_order_events_and_a_restart() {
        SentMessage reply = bot.say(CHAT, "subscribe approval " + CODE);
        assertEquals("Subscribed to approval events", title(reply.content()));
        assertTrue(platform.tenant().isSubscribed(CODE));

        String approved = event(UUID.randomUUID().toString(), CODE, INSTANCE, "APPROVED", String.valueOf(T1 + 60_000));
        push(approved);
        SentMessage card = bot.awaitMessages(m -> !cardsOf(CHAT, SentMessage.Kind.SEND).isEmpty()).stream()
                .filter(m -> m.kind() == SentMessage.Kind.SEND).findFirst().orElseThrow();
        assertEquals("Approval: Approved", title(card.content()));
        assertEquals("green", card.content().path("header").path("template").asText());

        push(approved);
        String late = UUID.randomUUID().toString();
        push(event(late, CODE, INSTANCE, "PENDING", String.valueOf(T1)));
        SentMessage patched = bot.awaitMessages(m -> cardsOf(CHAT, SentMessage.Kind.PATCH).size() == 1).stream()
                .filter(m -> m.kind() == SentMessage.Kind.PATCH).findFirst().orElseThrow();
        assertEquals(card.messageId(), patched.messageId());
        assertEquals("Approval: Approved", title(patched.content()), "the late PENDING does not overwrite APPROVED");
        String history = patched.content().toString();
        assertTrue(history.indexOf("UTC  Pending") > 0 && history.indexOf("UTC  Pending") < history.indexOf("UTC  Approved"), history);

        bot.close();
        bot = BotHarness.start(dir, platform, "");
        push(event(UUID.randomUUID().toString(), CODE, INSTANCE, "REVERTED", T1 + 120_000));
        SentMessage revoked = bot.awaitMessages(m -> cardsOf(CHAT, SentMessage.Kind.PATCH).size() == 2).stream()
                .filter(m -> m.kind() == SentMessage.Kind.PATCH).reduce((a, b) -> b).orElseThrow();
        assertEquals(card.messageId(), revoked.messageId(), "the restarted bot updates the same card");
        assertEquals("Approval: Revoked", title(revoked.content()));
        assertEquals(1, cardsOf(CHAT, SentMessage.Kind.SEND).size(), "one card per instance, duplicates included");

        String nobody = UUID.randomUUID().toString();
        push(event(nobody, "11111111-2222-3333-4444-555555555555", "OTHER-INSTANCE", "PENDING", String.valueOf(T1)));
        awaitHandled(nobody);
        assertEquals(1, cardsOf(CHAT, SentMessage.Kind.SEND).size(), "events of codes nobody subscribed are dropped");
        assertEquals(2, cardsOf(CHAT, SentMessage.Kind.PATCH).size());
    }

    @Test
    void an_invalid_code_is_explained_without_calling_the_platform() {
        SentMessage reply = bot.say(CHAT, "订阅审批 not-a/code");
        assertEquals("That is not an approval code", title(reply.content()));
        assertEquals(0, platform.calls("POST", SUBSCRIBE_API));
    }

    @Test
    void an_unknown_code_and_a_missing_scope_have_their_cards_and_apply_works_from_the_diagnosis() {
        SentMessage unknown = bot.say(CHAT, "subscribe approval 11111111-2222-3333-4444-555555555555");
        assertEquals("No such approval definition", title(unknown.content()));
        assertTrue(unknown.content().toString().contains("1390002"));

        platform.tenant().setEnforceScopes(true);
        SentMessage missing = bot.say(CHAT, "subscribe approval " + CODE);
        assertEquals("The app lacks a permission for approvals", title(missing.content()));
        String text = missing.content().toString();
        assertTrue(text.contains("99991672") && text.contains("0/10"), text);
        JsonNode answer = bot.click(missing, "ou_alice", "apply");
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        assertEquals(1, platform.appliesUsed());
        assertFalse(platform.tenant().isSubscribed(CODE));

        platform.tenant().grant("approval:approval");
        assertEquals("Subscribed to approval events", title(bot.say(CHAT, "subscribe approval " + CODE).content()));
        assertTrue(platform.tenant().isSubscribed(CODE));
    }

    @Test
    void unsubscribing_the_last_chat_turns_the_platform_subscription_off_and_is_audited() {
        bot.say(CHAT, "subscribe approval " + CODE);
        bot.say("oc_group_1", "subscribe approval " + CODE);
        assertTrue(bot.say(CHAT, "unsubscribe approval " + CODE).content().toString().contains("other chat"));
        assertTrue(platform.tenant().isSubscribed(CODE));
        assertEquals("Unsubscribed from approval events", title(bot.say("oc_group_1", "取消订阅审批 " + CODE).content()));
        assertFalse(platform.tenant().isSubscribed(CODE));
        List<AuditEntry> audit = bot.app.store().recentAudit(10);
        assertEquals(4, audit.stream().filter(a -> a.action().startsWith("approval.")).count());
        assertTrue(audit.get(0).logId() != null && !audit.get(0).logId().isEmpty(), "the platform's log_id is kept");
        assertEquals("Approval subscriptions of this chat", title(bot.say(CHAT, "approval subscriptions").content()));
    }

    @Test
    void codes_in_bot_config_are_subscribed_at_start_up() {
        bot.close();
        platform.tenant().subscribe(CODE);
        platform.tenant().addApprovalDefinition("22222222-3333-4444-5555-666666666666");
        bot = BotHarness.start(dir, platform, "approval:\n  subscribe: [\"" + CODE + "\", \"22222222-3333-4444-5555-666666666666\"]\n");
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!platform.tenant().isSubscribed("22222222-3333-4444-5555-666666666666") && System.nanoTime() < end) BotHarness.sleep(20);
        assertTrue(platform.tenant().isSubscribed("22222222-3333-4444-5555-666666666666"));
        assertTrue(platform.tenant().isSubscribed(CODE), "1390007 for the one already subscribed is fine");
    }
}
