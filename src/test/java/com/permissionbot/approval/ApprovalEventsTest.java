package com.permissionbot.approval;

import com.permissionbot.support.ChatScript;
import com.permissionbot.support.CardJson;
import com.permissionbot.domain.ApprovalInstanceEvent;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.cards.Card;
import com.permissionbot.chat.ApprovalHandlers;
import com.permissionbot.feishu.EventParser;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.store.ApprovalCard;
import com.permissionbot.store.ApprovalStatusChange;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.support.TestOutbox;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.FakeGateway.Said;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * approval_instance events to status cards: one card per instance and chat, sent once, then patched in place, each
 * stored with the change that caused it and delivered by the outbox.
 */
class ApprovalEventsTest {
    static final String CODE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    static final String INSTANCE = "81D31358-93AF-92D6-7425-01A5D67C4E71";
    static final long T1 = 1_666_079_207_003L;
    @TempDir
    Path dir;
    ChatScript bot;
    ApprovalCards cards;
    ApprovalEvents events;

    @BeforeEach
    void start() {
        bot = new ChatScript(dir);
        cards = new ApprovalCards(bot.bot.cards);
        events = new ApprovalEvents(bot.store, cards, bot.clock, bot.outbox::wake);
        bot.store.addApprovalSubscription(new ApprovalSubscription(CODE, "oc_chat", ChatScript.TENANT, "ou_alice", bot.clock.instant()));
    }

    @AfterEach
    void stop() {
        bot.close();
    }

    /**
     * A decrypted approval_instance envelope; {@code operateTime} is put as given: a String or a Long. See
     * https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event
     */
    static String event(String uuid, String code, String instance, String status, Object operateTime) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("ts", "1666079207.7171419").put("uuid", uuid).put("token", "vtoken").put("type", "event_callback");
        ObjectNode e = root.putObject("event");
        e.put("app_id", "cli_x").put("tenant_key", ChatScript.TENANT).put("type", "approval_instance")
                .put("approval_code", code).put("instance_code", instance).put("status", status);
        if (operateTime instanceof Long l) e.put("operate_time", l);
        else if (operateTime != null) e.put("operate_time", operateTime.toString());
        e.put("instance_operate_time", String.valueOf(T1)).put("uuid", "6525bffb");
        return root.toString();
    }

    static String event(String uuid, String status, Object operateTime) {
        return event(uuid, CODE, INSTANCE, status, operateTime);
    }

    private List<Said> sends() {
        return bot.platform.said("send");
    }

    private List<Said> updates() {
        return bot.platform.said("update");
    }

    private static String text(Card c) {
        return c.toJson();
    }

    private static String title(Card c) {
        return CardJson.tree(c).path("header").path("title").path("i18n_content").path("en_us").asText();
    }

    /** One event handled by these status cards, as the registry's route does it. */
    private void on(ApprovalEvents e, String json) {
        e.handle(EventParser.approvalInstance(json, bot.clock.instant()));
    }

    private ApprovalCard stored() {
        return bot.store.approvalCard("oc_chat", INSTANCE).orElseThrow();
    }

    /** The instance's event is shown once the outbox has delivered what it owes. */
    private void show(String event) {
        bot.event(ApprovalHandlers.INSTANCE_EVENT, "ev", event);
        bot.awaitDelivered();
    }

    @Test
    void the_first_event_sends_a_card_and_later_ones_patch_the_same_card() {
        show(event("u1", "PENDING", String.valueOf(T1)));
        assertEquals(1, sends().size());
        Said sent = sends().get(0);
        assertEquals("oc_chat", sent.target());
        assertEquals("Approval: Pending", title(sent.card()));
        assertEquals("blue", CardJson.tree(sent.card()).path("header").path("template").asText());

        show(event("u2", "APPROVED", String.valueOf(T1 + 60_000)));
        assertEquals(1, sends().size(), "one card per instance");
        assertEquals(1, updates().size());
        Said patched = updates().get(0);
        assertEquals(sent.messageId(), patched.target());
        assertEquals("Approval: Approved", title(patched.card()));
        assertEquals("green", CardJson.tree(patched.card()).path("header").path("template").asText());
        String json = text(patched.card());
        assertTrue(json.contains("2022&#45;10&#45;18 07&#58;46&#58;47 UTC  Pending"), json);
        assertTrue(json.contains("2022&#45;10&#45;18 07&#58;47&#58;47 UTC  Approved"), json);
        assertTrue(json.contains("2022&#45;10&#45;18 15&#58;46&#58;47（北京时间）  审批中"), json);
        assertTrue(json.contains("审批：已通过"), json);

        ApprovalCard card = stored();
        assertEquals(sent.messageId(), bot.store.cardSlot(card.slot()).orElseThrow());
        assertEquals(List.of("PENDING", "APPROVED"), card.history().stream().map(ApprovalStatusChange::status).toList());
    }

    @Test
    void a_duplicate_event_changes_nothing() {
        String e = event("u1", "PENDING", String.valueOf(T1));
        show(e);
        show(e);
        show(event("u1-resent-under-a-new-uuid", "PENDING", String.valueOf(T1)));
        assertEquals(1, bot.platform.said.size());
        assertEquals(1, stored().history().size());
    }

    @Test
    void an_older_event_arriving_late_is_listed_in_order_but_never_becomes_current() {
        show(event("u2", "APPROVED", String.valueOf(T1 + 60_000)));
        show(event("u1", "PENDING", String.valueOf(T1)));
        Said last = updates().get(updates().size() - 1);
        assertEquals("Approval: Approved", title(last.card()));
        String json = text(last.card());
        assertTrue(json.indexOf("UTC  Pending") < json.indexOf("UTC  Approved"), "oldest first: " + json);
        assertEquals(List.of("PENDING", "APPROVED"), stored().history().stream().map(ApprovalStatusChange::status).toList());

        show(event("u3", "REVERTED", T1 + 120_000));
        assertEquals("Approval: Revoked", title(updates().get(updates().size() - 1).card()));
        assertEquals("orange", CardJson.tree(updates().get(updates().size() - 1).card()).path("header").path("template").asText());
    }

    @Test
    void operate_time_is_read_as_a_string_or_an_integer() {
        Instant now = Instant.parse("2026-11-22T08:00:00Z");
        var string = EventParser.approvalInstance(event("a", "PENDING", "1666079207003"), now);
        var integer = EventParser.approvalInstance(event("b", "REVERTED", 1666079207003L), now);
        assertEquals(Instant.ofEpochMilli(1666079207003L), string.operateTime());
        assertEquals(string.operateTime(), integer.operateTime());
        var seconds = EventParser.approvalInstance(event("c", "PENDING", "1666079207"), now);
        assertEquals(Instant.ofEpochSecond(1666079207L), seconds.operateTime());
        ObjectNode noTime = (ObjectNode) BotJson.tree(event("d", "PENDING", null));
        ((ObjectNode) noTime.get("event")).remove("instance_operate_time");
        assertEquals(Instant.parse("2022-10-18T07:46:47.717Z"), EventParser.approvalInstance(noTime.toString(), now).operateTime(),
                "without operate_time, the envelope's ts");
        var i = EventParser.approvalInstance(event("e", "APPROVED", "not a time"), now);
        assertEquals(Instant.ofEpochMilli(T1), i.operateTime(), "an unreadable operate_time falls back to instance_operate_time");
        assertEquals("e", i.eventId());
        assertEquals(ChatScript.TENANT, i.tenantKey());
    }

    @Test
    void a_malformed_event_is_dropped_without_a_card() {
        ObjectNode noInstance = (ObjectNode) BotJson.tree(event("u1", "PENDING", String.valueOf(T1)));
        ((ObjectNode) noInstance.get("event")).remove("instance_code");
        show(noInstance.toString());
        show("{not json");
        assertThrows(IllegalArgumentException.class,
                () -> EventParser.approvalInstance(event("u2", "", String.valueOf(T1)), Instant.now()));
        assertTrue(bot.platform.said.isEmpty());
    }

    @Test
    void events_for_a_code_nobody_subscribed_are_dropped() {
        show(event("u1", "11111111-2222-3333", INSTANCE, "PENDING", String.valueOf(T1)));
        assertTrue(bot.platform.said.isEmpty());
        assertTrue(bot.store.approvalCard("oc_chat", INSTANCE).isEmpty());
    }

    @Test
    void events_of_another_tenant_are_not_shown() {
        ObjectNode other = (ObjectNode) BotJson.tree(event("u1", "PENDING", String.valueOf(T1)));
        ((ObjectNode) other.get("event")).put("tenant_key", "tenant_other");
        show(other.toString());
        assertTrue(bot.platform.said.isEmpty());
    }

    @Test
    void each_subscribed_chat_gets_its_own_card_per_instance() {
        bot.store.addApprovalSubscription(new ApprovalSubscription(CODE, "oc_two", ChatScript.TENANT, "ou_bob", bot.clock.instant()));
        show(event("u1", "PENDING", String.valueOf(T1)));
        show(event("u2", CODE, "OTHER-INSTANCE-0001", "PENDING", String.valueOf(T1)));
        show(event("u3", "REJECTED", String.valueOf(T1 + 1000)));
        assertEquals(List.of("oc_chat", "oc_chat", "oc_two", "oc_two"), sends().stream().map(Said::target).sorted().toList());
        assertEquals(2, updates().size());
        assertTrue(updates().stream().allMatch(u -> title(u.card()).equals("Approval: Rejected")));
    }

    @Test
    void a_restarted_bot_keeps_updating_the_same_card() {
        show(event("u1", "PENDING", String.valueOf(T1)));
        String messageId = sends().get(0).messageId();
        bot.outbox.close();
        bot.store.close();
        try (Store reopened = JdbcStore.open("jdbc:sqlite:" + bot.db);
             Outbox outbox = TestOutbox.over(reopened, bot.platform, bot.clock)) {
            ApprovalEvents afterRestart = new ApprovalEvents(reopened, cards, bot.clock, outbox::wake);
            on(afterRestart, event("u2", "APPROVED", String.valueOf(T1 + 5000)));
            ChatScript.await(() -> reopened.outboxDepth() == 0);
            assertEquals(1, sends().size());
            assertEquals(messageId, updates().get(0).target());
            assertEquals(2, reopened.approvalCard("oc_chat", INSTANCE).orElseThrow().history().size());
        }
    }

    @Test
    void a_card_the_platform_refused_is_sent_with_the_whole_history_on_the_next_event() {
        bot.platform.sendFails(FakeGateway.fail(230002, 400));
        show(event("u1", "PENDING", String.valueOf(T1)));
        assertTrue(sends().isEmpty(), "230002 (the bot is not in the chat) is not repeated");
        show(event("u2", "APPROVED", String.valueOf(T1 + 1000)));
        assertEquals(1, sends().size());
        String json = text(sends().get(0).card());
        assertTrue(json.contains("Pending") && json.contains("Approved"), json);
    }

    @Test
    void a_rate_limited_update_is_delivered_by_the_outbox_without_another_event() {
        show(event("u1", "PENDING", String.valueOf(T1)));
        bot.platform.updateFails(FakeGateway.fail(230020, 400), FakeGateway.fail(230020, 400), FakeGateway.rateLimited(Duration.ofMillis(10)));
        show(event("u2", "APPROVED", String.valueOf(T1 + 1000)));
        assertEquals(1, updates().size());
        assertEquals("Approval: Approved", title(updates().get(0).card()));
        show(event("u2", "APPROVED", String.valueOf(T1 + 1000)));
        assertEquals(1, updates().size(), "the same event again changes nothing");
    }

    @Test
    void a_status_change_during_an_outage_is_shown_once_the_platform_is_back() {
        show(event("u1", "PENDING", String.valueOf(T1)));
        bot.platform.updateFails(FakeGateway.fail(PlatformResult.NETWORK, 0), FakeGateway.fail(5000, 500),
                FakeGateway.fail(PlatformResult.NETWORK, 0), FakeGateway.fail(5000, 500), FakeGateway.fail(5000, 500));
        show(event("u2", "APPROVED", String.valueOf(T1 + 1000)));
        assertEquals("Approval: Approved", title(updates().get(updates().size() - 1).card()), "the final status reached the chat");
    }

    @Test
    void an_unknown_status_is_shown_by_its_raw_name() {
        show(event("u1", "TRANSFERRED_<at id=all></at>", String.valueOf(T1)));
        Said sent = sends().get(0);
        assertEquals("Approval: Status changed", title(sent.card()));
        String json = text(sent.card());
        assertTrue(json.contains("TRANSFERRED&#95;&#60;at id=all&#62;&#60;&#47;at&#62;"), json);
        assertFalse(json.contains("<at"), json);
    }

    @Test
    void all_statuses_have_labels_and_colours() {
        for (ApprovalStatus s : ApprovalStatus.values()) {
            Card c = cards.instance(CODE, INSTANCE, List.of(new ApprovalStatusChange(s.name(), Instant.ofEpochMilli(T1), "u")));
            assertEquals(s.colour, CardJson.tree(c).path("header").path("template").asText());
            assertTrue(text(c).contains(s.zh) && text(c).contains(s.en), s.name());
        }
    }

    @Test
    void a_long_history_keeps_the_newest_changes() {
        List<ApprovalStatusChange> h = new ArrayList<>();
        for (int i = 0; i < ApprovalEvents.MAX_HISTORY + 10; i++) {
            h = ApprovalEvents.merge(h, new ApprovalStatusChange(i % 2 == 0 ? "OVERTIME_CLOSE" : "OVERTIME_RECOVER",
                    Instant.ofEpochMilli(T1 + i), "u" + i));
        }
        assertEquals(ApprovalEvents.MAX_HISTORY, h.size());
        assertEquals(Instant.ofEpochMilli(T1 + ApprovalEvents.MAX_HISTORY + 9), h.get(h.size() - 1).at());
        Card c = cards.instance(CODE, INSTANCE, h);
        assertTrue(text(c).contains((ApprovalEvents.MAX_HISTORY - ApprovalCards.HISTORY_SHOWN) + " older change(s)"), text(c));
    }

    @Test
    void two_replicas_racing_on_one_instance_make_one_card_with_every_change() throws Exception {
        FakeGateway shared = bot.platform;
        try (Store second = JdbcStore.open("jdbc:sqlite:" + bot.db);
             Outbox secondOutbox = TestOutbox.over(second, shared, bot.clock, "replica-2")) {
            ApprovalEvents a = events;
            ApprovalEvents b = new ApprovalEvents(second, cards, bot.clock, secondOutbox::wake);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> jobs = new ArrayList<>();
            String[] statuses = {"PENDING", "OVERTIME_CLOSE", "OVERTIME_RECOVER", "APPROVED", "REVERTED", "REJECTED", "CANCELED", "DELETED"};
            for (int i = 0; i < statuses.length; i++) {
                String e = event("u" + i, statuses[i], String.valueOf(T1 + i * 1000L));
                ApprovalEvents replica = i % 2 == 0 ? a : b;
                jobs.add(pool.submit(() -> on(replica, e)));
            }
            for (Future<?> f : jobs) f.get();
            pool.shutdown();
            bot.awaitDelivered();
            List<String> ids = sends().stream().map(Said::messageId).distinct().toList();
            assertEquals(1, ids.size(), "one message, whoever sent first: " + sends());
            ApprovalCard card = stored();
            assertEquals(statuses.length, card.history().size());
            assertEquals("DELETED", card.history().get(card.history().size() - 1).status());
            List<Said> shown = bot.platform.said;
            Card last = shown.get(shown.size() - 1).card();
            assertEquals("Approval: Deleted", title(last), "the card ends on the newest status");
            for (String st : List.of("Pending", "Approved", "Rejected")) assertTrue(text(last).contains(st), st);
        }
    }

    /** JSON helpers. */
    static final class BotJson {
        static com.fasterxml.jackson.databind.JsonNode tree(String s) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void a_send_that_threw_is_treated_as_unanswered_and_stays_owed() {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        FakeGateway throwing = new FakeGateway() {
            @Override
            public synchronized PlatformResult<String> sendCard(String chatId, Card card, String uuid) {
                tries.incrementAndGet();
                throw new IllegalStateException("boom");
            }
        };
        bot.outbox.close();
        try (Outbox outbox = TestOutbox.over(bot.store, throwing, bot.clock)) {
            on(new ApprovalEvents(bot.store, cards, bot.clock, outbox::wake), event("u1", "PENDING", String.valueOf(T1)));
            ChatScript.await(() -> tries.get() >= 3);
            assertEquals(1, bot.store.outboxDepth(), "still owed, to be tried again");
        }
    }
}
