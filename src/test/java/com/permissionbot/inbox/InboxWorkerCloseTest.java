package com.permissionbot.inbox;

import com.permissionbot.config.BotConfig;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.JdbcStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.Mockito;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Workers finish rows without waiting for the commit; closing in the middle of a burst still leaves every handled row
 * done (never handed back to be handled twice) and every other row pending for the next process.
 */
class InboxWorkerCloseTest {
    @TempDir
    Path dir;

    @Test
    void closing_during_a_burst_hands_back_only_unhandled_rows() throws Exception {
        Clock clock = Clock.systemUTC();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        try (JdbcStore real = JdbcStore.open("jdbc:sqlite:" + dir.resolve("bot.db"))) {
            // slow finishes, so some are still on their way to the database when the worker closes
            JdbcStore store = Mockito.spy(real);
            Mockito.doAnswer(call -> {
                Thread.sleep(50);
                return call.callRealMethod();
            }).when(store).inboxFinishAll(Mockito.anyList());
            Inbox inbox = new Inbox(store, clock, Duration.ofMinutes(5), "p1");
            var cfg = new BotConfig.Inbox(4, Duration.ofMinutes(5), Duration.ofHours(24), Duration.ofHours(1));
            InboxWorker worker = new InboxWorker(store, inbox, clock, cfg, "p1", Map.of("t", row -> {
                Thread.sleep(1);
                handled.add(row.dedupKey());
            }));
            List<InboxRow> rows = new ArrayList<>();
            for (int i = 0; i < 500; i++) rows.add(inbox.accept("k" + i, "e" + i, "t", "tenant", "{}").get().orElseThrow());
            rows.forEach(worker::submit);
            worker.close();
            inbox.close();

            assertFalse(handled.isEmpty(), "some rows were handled before the close");
            assertEquals(0, worker.inFlight(), "nothing is left leased to the closed worker");
            for (int i = 0; i < 500; i++) {
                String key = "k" + i;
                String status = store.inboxFind(key).orElseThrow().status();
                if (handled.contains(key)) assertEquals(InboxRow.DONE, status, key + " was handled");
                else assertEquals(InboxRow.PENDING, status, key + " was not handled");
            }
        }
    }

    @Test
    void a_row_whose_handler_still_runs_at_close_is_never_handed_back() throws Exception {
        Clock clock = Clock.systemUTC();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("running.db"))) {
            Inbox inbox = new Inbox(store, clock, Duration.ofMinutes(5), "p1");
            var cfg = new BotConfig.Inbox(2, Duration.ofMinutes(5), Duration.ofHours(24), Duration.ofHours(1));
            InboxWorker worker = new InboxWorker(store, inbox, clock, cfg, "p1", Map.of("t", row -> {
                started.countDown();
                // a handler deaf to interrupts (say, stuck in a platform call), still running when the worker closes
                while (release.getCount() > 0) {
                    try {
                        release.await();
                    } catch (InterruptedException ignored) {
                        // keeps running
                    }
                }
            }));
            worker.submit(inbox.accept("busy", "e-busy", "t", "tenant", "{}").get().orElseThrow());
            started.await();
            worker.close(Duration.ofMillis(100));
            assertEquals(InboxRow.WORKING, store.inboxFind("busy").orElseThrow().status(),
                    "still leased to this process: handing it back would let another process handle it a second time");
            assertEquals(List.of(), store.inboxClaim("p2", clock.instant(), Duration.ofMinutes(1), 10), "not claimable meanwhile");
            release.countDown();
            inbox.close();
        }
    }
}
