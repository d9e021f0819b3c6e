package com.permissionbot.outbox;

import ch.qos.logback.classic.Level;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.FakeGateway.Said;
import com.permissionbot.support.LogCapture;
import com.permissionbot.support.MutableClock;
import com.permissionbot.support.TestOutbox;
import io.micrometer.core.instrument.Metrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the bot owes a chat is delivered once the platform takes it: across outages, restarts and two senders. */
class OutboxTest {
    static final io.micrometer.core.instrument.simple.SimpleMeterRegistry REGISTRY = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final FakeGateway platform = new FakeGateway();
    Store store;
    Outbox outbox;

    @BeforeEach
    void start() {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("outbox.db"));
        outbox = TestOutbox.over(store, platform, clock);
    }

    @AfterEach
    void stop() {
        outbox.close();
        store.close();
    }

    static Card card(String text) {
        return new Card("note", "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":"
                + "[{\"tag\":\"markdown\",\"content\":\"" + text + "\"}]}}");
    }

    static void await(BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting");
            BotHarness.sleep(5);
        }
    }

    private static String text(Said s) {
        return s.card().toJson();
    }

    @Test
    void a_reply_the_platform_fails_is_kept_and_delivered_once_it_is_back() {
        PlatformResult<String> down = FakeGateway.fail(5000, 500);
        platform.replyFails(down, down, down, down, down, down, FakeGateway.fail(PlatformResult.NETWORK, 0));
        outbox.deliver(OutboxMessage.reply("om_q", "oc_1", card("answer"), "pb-answer", "reply to om_q", clock.instant()));
        assertEquals(1, store.outboxDepth(), "four quick calls failed: the reply waits in the outbox");
        await(() -> store.outboxDepth() == 0);
        assertEquals(1, platform.said("reply").size());
        assertEquals("om_q", platform.said("reply").get(0).target());
    }

    @Test
    void a_reply_to_a_message_that_is_gone_is_sent_to_the_chat_instead() {
        platform.replyFails(FakeGateway.fail(230011, 400));
        outbox.deliver(OutboxMessage.reply("om_recalled", "oc_1", card("granted"), "pb-granted", "granted notice", clock.instant()));
        assertTrue(platform.said("reply").isEmpty());
        assertEquals(List.of("oc_1"), platform.said("send").stream().map(Said::target).toList());
    }

    @Test
    void a_card_the_platform_refuses_is_logged_and_not_repeated() {
        platform.sendFails(FakeGateway.fail(230002, 400));
        try (LogCapture logs = new LogCapture(false)) {
            outbox.deliver(OutboxMessage.send("oc_gone", card("alert"), "pb-alert", "revocation alert to oc_gone", clock.instant()));
            assertEquals(0, store.outboxDepth());
            assertTrue(logs.events().stream().anyMatch(e -> LogCapture.atLeast(e, Level.WARN)
                    && e.getFormattedMessage().contains("revocation alert to oc_gone") && e.getFormattedMessage().contains("230002")));
        }
        assertTrue(platform.said.isEmpty());
    }

    @Test
    void what_was_owed_before_a_restart_is_delivered_after_it() {
        outbox.close();
        store.outboxAdd(List.of(OutboxMessage.send("oc_1", card("owed"), "pb-owed", "owed card", clock.instant())));
        store.close();
        try (Store reopened = JdbcStore.open("jdbc:sqlite:" + dir.resolve("outbox.db"));
             Outbox afterRestart = TestOutbox.over(reopened, platform, clock)) {
            await(() -> reopened.outboxDepth() == 0);
            assertEquals(1, platform.said("send").size());
        }
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("outbox.db"));
    }

    @Test
    void a_card_no_attempt_delivers_for_a_day_is_given_up_with_one_log_line_and_a_metric() {
        // counted on a registry of this test's own (the app adds Prometheus to the global registry in production)
        Metrics.addRegistry(REGISTRY);
        double before = Metrics.globalRegistry.counter("bot.outbox.given_up", "kind", "send", "reason", "expired").count();
        outbox.close();
        FakeGateway down = new FakeGateway() {
            @Override
            public PlatformResult<String> sendCard(String chatId, Card card, String uuid) {
                return fail(5000, 500);
            }
        };
        try (LogCapture logs = new LogCapture(false); Outbox failing = TestOutbox.over(store, down, clock)) {
            failing.deliver(OutboxMessage.send("oc_1", card("notice"), "pb-late", "late notice", clock.instant()));
            assertEquals(1, store.outboxDepth(), "kept, and tried again and again");
            clock.advance(OutboxMessage.EXPIRY.plusMinutes(1));
            await(() -> store.outboxDepth() == 0);
            List<String> errors = logs.events().stream().filter(e -> LogCapture.atLeast(e, Level.ERROR))
                    .map(e -> e.getFormattedMessage()).filter(m -> m.contains("late notice")).toList();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).contains("given up"), errors.get(0));
        }
        assertEquals(before + 1, Metrics.globalRegistry.counter("bot.outbox.given_up", "kind", "send", "reason", "expired").count());
        outbox = TestOutbox.over(store, platform, clock);
    }

    @Test
    void two_senders_on_one_database_deliver_each_card_once() throws Exception {
        outbox.close();
        List<OutboxMessage> owed = new ArrayList<>();
        for (int i = 0; i < 40; i++) owed.add(OutboxMessage.send("oc_" + i, card("n" + i), "pb-n" + i, "card " + i, clock.instant()));
        for (int i = 0; i < 10; i++) owed.add(OutboxMessage.slot("slot-" + (i % 3), "oc_s" + (i % 3), card("v" + i), "pb-slot-" + (i % 3),
                "slot card " + i, clock.instant()));
        store.outboxAdd(owed);
        try (Store second = JdbcStore.open("jdbc:sqlite:" + dir.resolve("outbox.db"));
             Outbox a = TestOutbox.over(store, platform, clock, "replica-a");
             Outbox b = TestOutbox.over(second, platform, clock, "replica-b")) {
            await(() -> store.outboxDepth() == 0);
        }
        assertEquals(40 + 3, platform.said("send").size(), "one message per send and per slot: " + platform.said("send").size());
        assertEquals(40 + 3, platform.said("send").stream().map(Said::target).distinct().count());
        for (int slot = 0; slot < 3; slot++) {
            String chat = "oc_s" + slot;
            List<Said> shown = new ArrayList<>(platform.said("send").stream().filter(s -> s.target().equals(chat)).toList());
            String messageId = shown.get(0).messageId();
            shown.addAll(platform.said("update").stream().filter(s -> s.target().equals(messageId)).toList());
            int newest = 9 - ((9 - slot) % 3);
            assertTrue(text(shown.get(shown.size() - 1)).contains("v" + newest), "slot " + slot + " ends on its newest card: " + shown);
        }
        outbox = TestOutbox.over(store, platform, clock);
    }

    @Test
    void an_older_update_never_overwrites_a_newer_one() {
        outbox.close();
        store.outboxAdd(List.of(OutboxMessage.update("om_card", card("fallback"), "fallback", clock.instant().plusSeconds(60))));
        store.outboxAdd(List.of(OutboxMessage.update("om_card", card("outcome"), "outcome", clock.instant())));
        outbox = TestOutbox.over(store, platform, clock);
        await(() -> platform.said("update").size() == 1);
        clock.advance(Duration.ofSeconds(61));
        await(() -> store.outboxDepth() == 0);
        assertEquals(1, platform.said("update").size(), "the fallback came due after the outcome and was dropped");
        assertTrue(text(platform.said("update").get(0)).contains("outcome"));
    }
}
