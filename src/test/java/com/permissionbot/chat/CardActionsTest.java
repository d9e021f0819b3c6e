package com.permissionbot.chat;

import com.permissionbot.domain.CardClick;
import com.permissionbot.cards.Card;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.store.StoreException;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.MutableClock;
import com.permissionbot.support.TestOutbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A click's answer is never lost and its card never stuck, even when the store fails to record it. */
class CardActionsTest {
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final FakeGateway platform = new FakeGateway();
    final AtomicInteger runs = new AtomicInteger();
    Store real;
    Outbox outbox;
    volatile boolean finishFails;

    static final Card OUTCOME = new Card("apply_success", "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[]}}");
    static final Card WORKING = new Card("working", "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[]}}");
    static final CardClick CLICK = new CardClick("tenant_1", "om_card", "oc_chat", "ou_alice", Map.of("action", "apply"), "c-token", Map.of());

    @BeforeEach
    void open() {
        real = JdbcStore.open("jdbc:sqlite:" + dir.resolve("clicks.db"));
        outbox = TestOutbox.over(real, platform, clock);
    }

    @AfterEach
    void close() {
        outbox.close();
        real.close();
    }

    /** The real store, except that recording a click's answer fails while {@link #finishFails} is set. */
    private Store flaky() {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[]{Store.class}, (p, m, args) -> {
            if (finishFails && m.getName().equals("finishAction")) throw new StoreException("update card_actions", new SQLException("disk I/O error"));
            if (m.getName().equals("atomically")) {
                // run the transaction's work against this proxy too, so a failing finish fails the whole step
                @SuppressWarnings("unchecked") var work = (java.util.function.Function<Store, Object>) args[0];
                if (finishFails) work.apply((Store) p);
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    void an_answer_that_cannot_be_recorded_still_reaches_the_user_and_a_later_repeat_runs_again() {
        Registry buttons = new Registry().action("apply", c -> {
            runs.incrementAndGet();
            return new CardAnswer("success", "已提交。", "Sent.", OUTCOME);
        });
        CardActions actions = new CardActions(flaky(), outbox, clock, buttons);
        finishFails = true;
        CardAnswer first = actions.handle(CLICK);
        assertEquals("apply_success", first.card().name(), "the outcome is shown although it could not be stored");
        finishFails = false;
        assertTrue(actions.handle(CLICK).toastEn().contains("still being handled"), "within the claim's time");
        clock.advance(CardActions.CLAIM_TIME.plusSeconds(1));
        assertEquals("apply_success", actions.handle(CLICK).card().name());
        assertEquals(2, runs.get(), "the unrecorded click ran again once its claim ran out");
    }

    @Test
    void slow_work_whose_outcome_cannot_be_recorded_still_updates_the_card() {
        CompletableFuture<CardAnswer> work = new CompletableFuture<>();
        CardAnswer fallback = new CardAnswer("warning", "不确定。", "Unknown.", new Card("apply_uncertain",
                "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[]}}"));
        CardActions actions = new CardActions(flaky(), outbox, clock,
                new Registry().action("apply", c -> new CardAnswer("info", "稍候。", "One moment.", WORKING).goingOn(work, fallback)));
        assertEquals("working", actions.handle(CLICK).card().name());
        finishFails = true;
        work.complete(new CardAnswer("success", "已提交。", "Sent.", OUTCOME));
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (platform.said.stream().noneMatch(s -> s.kind().equals("update") && s.card().name().equals("apply_success"))) {
            assertTrue(System.nanoTime() < end, "the card was not updated: " + platform.said);
            Thread.onSpinWait();
        }
    }
}
