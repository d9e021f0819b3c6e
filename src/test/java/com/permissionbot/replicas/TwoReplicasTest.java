package com.permissionbot.replicas;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.InboxRow;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.Events;
import com.permissionbot.support.Postgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas of the bot (two App instances on two ports, each with its own SDK client and store pool) on one
 * PostgreSQL database and one platform emulator, hammered at once with the same events and the same clicks.
 */
@ExtendWith(Postgres.class)
class TwoReplicasTest {
    static final String TENANT = "tenant_sandbox";
    static final String REPLY = "/open-apis/im/v1/messages/{message_id}/reply";
    static final String MESSAGE_EVENT = "im.message.receive_v1";
    /** The platform allows 10 applications per app version: one segment of clicks per version. */
    static final int SEGMENTS = 5;
    static final int MESSAGES_PER_SEGMENT = 200;
    static final int CLICKS_PER_SEGMENT = 10;
    /** The platform takes at most 5 messages a second per chat (230020): messages are spread over this many chats. */
    static final int CHATS = 500;
    static final String STILL = "Your previous click is still being handled; one moment.";
    static final String ALREADY = "This click was already handled.";
    static final String WORKING = "Asking Feishu now; this card will update when the answer arrives.";

    PlatformEmulator platform;
    String database;
    Replica a;
    Replica b;

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start();
        database = Postgres.server().createDatabase();
        String url = Postgres.server().herokuUrl(database);
        String config = "apply:\n  cooldown_seconds: 0\n";
        a = Replica.start("a", platform, url, config);
        b = Replica.start("b", platform, url, config);
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, platform}) {
            try {
                if (c != null) c.close();
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void hammered_with_the_same_events_and_clicks_they_handle_each_event_once_apply_each_click_once_and_keep_an_exact_ledger()
            throws Exception {
        long started = System.nanoTime();
        Stats stats = new Stats();
        List<String> messages = new ArrayList<>();
        List<String> cardRequests = new ArrayList<>();
        List<String> versionIds = new ArrayList<>();
        ExecutorService clicker = Executors.newSingleThreadExecutor();
        try {
            for (int seg = 0; seg < SEGMENTS; seg++) {
                String version = "1.0." + seg;
                if (seg > 0) {
                    // a new version (each Apply reads the version afresh); the clocks move on as before; nothing is in flight
                    platform.tenant().publishVersion(version);
                    a.clock.advance(Duration.ofMinutes(11));
                    b.clock.advance(Duration.ofMinutes(11));
                }
                assertEquals(version, platform.tenant().onlineVersion().version());
                versionIds.add(platform.tenant().onlineVersion().versionId());

                List<SentMessage> cards = askForApplyCards(seg, cardRequests);
                int applied = seg * CLICKS_PER_SEGMENT;
                Future<?> clicks = clicker.submit(() -> {
                    clickRounds(version, cards, applied, stats);
                    return null;
                });
                storm(seg, messages, stats);
                clicks.get(90, TimeUnit.SECONDS);
                awaitQuiet(messages, cardRequests);

                assertEquals(CLICKS_PER_SEGMENT, platform.tenant().appliesUsed(versionIds.get(seg)), "platform, version " + version);
                assertEquals(CLICKS_PER_SEGMENT, a.app.store().quota(TENANT, version).used(), "ledger, version " + version);
            }
        } finally {
            clicker.shutdownNow();
        }
        BotHarness.sleep(500); // anything handled twice would show up by now

        // every user message got exactly one reply: in the platform's log, and in calls to the reply API (the
        // platform drops a repeated reply uuid, so the log alone could hide a second handling)
        Map<String, Long> replies = platform.messages().stream().filter(m -> m.kind() == SentMessage.Kind.REPLY)
                .collect(Collectors.groupingBy(SentMessage::parentId, Collectors.counting()));
        for (String mid : messages) assertEquals(1L, replies.getOrDefault(mid, 0L), "replies to " + mid);
        for (String mid : cardRequests) assertEquals(1L, replies.getOrDefault(mid, 0L), "replies to " + mid);
        assertEquals(messages.size() + cardRequests.size(), platform.calls("POST", REPLY), "reply API calls");

        // the inbox: exactly one row per message_id, all done, each on its first attempt, spread over both replicas
        Map<String, InboxState> rows = inboxRows();
        assertEquals(messages.size() + cardRequests.size(), rows.size());
        Map<String, Integer> byOwner = new HashMap<>();
        for (String mid : concat(messages, cardRequests)) {
            InboxState r = rows.get("msg:" + mid);
            assertTrue(r != null, "no inbox row for " + mid);
            assertEquals(1, r.rows, "rows for " + mid);
            assertEquals(InboxRow.DONE, r.status, "status of " + mid);
            assertEquals(1, r.attempts, "attempts of " + mid);
            byOwner.merge(r.owner, 1, Integer::sum);
        }
        assertEquals(2, byOwner.size(), "both replicas stored and handled events: " + byOwner);

        // every click applied once: one call to the platform per button, one winner per race
        int clicks = SEGMENTS * CLICKS_PER_SEGMENT;
        assertEquals(clicks, platform.applyCalls(), "apply calls");
        assertEquals(clicks, stats.winners.get(), "clicks that ran");
        assertEquals(clicks, stats.losers.get(), "clicks answered as repeats");
        assertEquals(clicks, count("SELECT COUNT(*) FROM card_actions WHERE finished = 1"));
        assertEquals(clicks, count("SELECT COUNT(*) FROM apply_requests"));

        // the ledger is exact for every version, on both replicas
        int total = 0;
        for (int seg = 0; seg < SEGMENTS; seg++) {
            String version = "1.0." + seg;
            int platformCount = platform.tenant().appliesUsed(versionIds.get(seg));
            assertEquals(platformCount, a.app.store().quota(TENANT, version).used(), version);
            assertEquals(platformCount, b.app.store().quota(TENANT, version).used(), version);
            assertFalse(a.app.store().quota(TENANT, version).exhausted());
            assertEquals(platformCount, count("SELECT COUNT(*) FROM apply_requests WHERE app_version = '" + version + "'"));
            total += platformCount;
        }
        assertEquals(clicks, total);

        System.out.printf("two replicas on PostgreSQL: %d message events delivered (%d messages + %d duplicates: %d the same"
                        + " event to both replicas at once, %d the same message under a new event id to the other), %d card"
                        + " requests, %d racing double clicks (%d with one event id) over %d versions; rows per replica %s;"
                        + " %.1f s%n",
                stats.deliveries.get(), messages.size(), stats.duplicates.get(), stats.sameEvent.get(), stats.newEventId.get(),
                cardRequests.size(), clicks, stats.sameClickEvent.get(), SEGMENTS, byOwner.values(),
                (System.nanoTime() - started) / 1e9);
        assertTrue(stats.deliveries.get() >= 1000, "at least 1,000 message events");
        assertEquals(stats.deliveries.get(), 3 * stats.duplicates.get(), "a third are duplicates");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void an_unfinished_row_of_a_dead_replica_is_taken_over_by_one_live_replica_after_its_lease() throws Exception {
        String chat = "oc_dead_replica";
        String mid = platform.im().addUserMessage(chat, "ou_alice", "text", "{\"text\":\"help\"}").messageId();
        String event = Replica.message("ev-dead-" + mid, mid, chat, "help");
        // what a replica that died after the ack leaves: stored, acknowledged, leased to a worker that no longer runs
        Instant now = a.clock.instant();
        a.app.store().inboxInsert(InboxRow.incoming("msg:" + mid, "ev-dead-" + mid, MESSAGE_EVENT, TENANT, event, now),
                "bot-dead", now.plusSeconds(2));
        BotHarness.sleep(1000);
        assertEquals("bot-dead", inboxRows().get("msg:" + mid).owner, "untouched while its lease runs");
        assertTrue(platform.messages().isEmpty());

        await(Duration.ofSeconds(15), () -> platform.messages().stream().anyMatch(m -> mid.equals(m.parentId())));
        await(Duration.ofSeconds(5), () -> InboxRow.DONE.equals(inboxRows().get("msg:" + mid).status));
        InboxState row = inboxRows().get("msg:" + mid);
        assertEquals(2, row.attempts, "taken over once");
        assertNotEquals("bot-dead", row.owner);
        // the platform retries the event to both replicas: acknowledged, not handled again
        assertEquals(200, a.push("/webhook/event", event).get().statusCode());
        assertEquals(200, b.push("/webhook/event", event).get().statusCode());
        BotHarness.sleep(800);
        assertEquals(1, platform.calls("POST", REPLY), "one reply");
        assertEquals(1, inboxRows().size());
    }

    // ---- the hammer ----

    /** Counts of what was sent. */
    static final class Stats {
        final AtomicInteger deliveries = new AtomicInteger();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger sameEvent = new AtomicInteger();
        final AtomicInteger newEventId = new AtomicInteger();
        final AtomicInteger winners = new AtomicInteger();
        final AtomicInteger losers = new AtomicInteger();
        final AtomicInteger sameClickEvent = new AtomicInteger();
    }

    /**
     * One segment of user messages, each delivered at least once; every other message twice at once across the
     * replicas: the same event to both, or the same message under a new event id (as a platform retry) to the other.
     */
    private void storm(int seg, List<String> messages, Stats stats) throws Exception {
        List<Runnable> sends = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> answers = Collections.synchronizedList(new ArrayList<>());
        Semaphore inFlight = new Semaphore(32);
        for (int k = 0; k < MESSAGES_PER_SEGMENT; k++) {
            int i = seg * MESSAGES_PER_SEGMENT + k;
            String chat = "oc_chat_" + (i % CHATS);
            String text = i % 3 == 0 ? "quota" : "help";
            String mid = platform.im().addUserMessage(chat, "ou_alice", "text", "{\"text\":\"" + text + "\"}").messageId();
            messages.add(mid);
            Replica first = i % 2 == 0 ? a : b;
            Replica other = first == a ? b : a;
            String event = Replica.message("ev-" + mid, mid, chat, text);
            String second = switch (i % 4) {
                case 0 -> event;                                          // the same event to both
                case 2 -> Replica.message("ev-retry-" + mid, mid, chat, text); // same message, new event id, the other
                default -> null;
            };
            if (second == event) stats.sameEvent.incrementAndGet();
            else if (second != null) stats.newEventId.incrementAndGet();
            stats.deliveries.addAndGet(second == null ? 1 : 2);
            if (second != null) stats.duplicates.incrementAndGet();
            sends.add(() -> {
                int n = second == null ? 1 : 2;
                inFlight.acquireUninterruptibly(n);
                List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                sent.add(first.push("/webhook/event", event));
                if (second != null) sent.add(other.push("/webhook/event", second));
                answers.addAll(sent);
                CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).whenComplete((r, e) -> inFlight.release(n));
            });
        }
        Collections.shuffle(sends, new Random(8 + seg));
        sends.forEach(Runnable::run);
        CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        for (var f : answers) assertEquals(200, f.get().statusCode(), f.get().body());
    }

    /** Ten "missing permissions" cards (each with an Apply button), asked for in chats of their own. */
    private List<SentMessage> askForApplyCards(int seg, List<String> cardRequests) throws Exception {
        List<String> mids = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int j = 0; j < CLICKS_PER_SEGMENT; j++) {
            String chat = "oc_click_" + seg + "_" + j;
            String mid = platform.im().addUserMessage(chat, "ou_alice", "text", "{\"text\":\"missing permissions\"}").messageId();
            mids.add(mid);
            answers.add((j % 2 == 0 ? a : b).push("/webhook/event", Replica.message("ev-" + mid, mid, chat, "missing permissions")));
        }
        for (var f : answers) assertEquals(200, f.get(20, TimeUnit.SECONDS).statusCode());
        cardRequests.addAll(mids);
        await(Duration.ofSeconds(20), () -> platform.messages().stream().filter(m -> mids.contains(m.parentId())).count() == mids.size());
        Map<String, SentMessage> byParent = new HashMap<>();
        for (SentMessage m : platform.messages()) if (mids.contains(m.parentId())) byParent.put(m.parentId(), m);
        return mids.stream().map(byParent::get).toList();
    }

    /**
     * Per card: the same Apply click sent to both replicas at once (half the time as one callback delivered twice,
     * half as a double click with two event ids); then wait for the platform and the ledger before the next one.
     */
    private void clickRounds(String version, List<SentMessage> cards, int appliedBefore, Stats stats) throws Exception {
        for (int j = 0; j < cards.size(); j++) {
            platform.tenant().rejectPending(); // the admin answered the last one, so this application is not a 212004
            SentMessage card = cards.get(j);
            Map<String, String> value = CardJson.button(card.content(), "apply");
            assertTrue(value != null, "no Apply button on " + card.content());
            List<String> kv = new ArrayList<>();
            value.forEach((k, v) -> {
                kv.add(k);
                kv.add(v);
            });
            String e1 = "ev-click-" + UUID.randomUUID();
            boolean sameEvent = j % 2 == 0;
            if (sameEvent) stats.sameClickEvent.incrementAndGet();
            String e2 = sameEvent ? e1 : "ev-click-" + UUID.randomUUID();
            String[] values = kv.toArray(new String[0]);
            CompletableFuture<HttpResponse<String>> ra = a.push("/webhook/card", Events.click(e1, card.messageId(), "ou_alice", values));
            CompletableFuture<HttpResponse<String>> rb = b.push("/webhook/card", Events.click(e2, card.messageId(), "ou_alice", values));
            int winners = 0;
            int losers = 0;
            for (HttpResponse<String> r : List.of(ra.get(20, TimeUnit.SECONDS), rb.get(20, TimeUnit.SECONDS))) {
                assertEquals(200, r.statusCode(), r.body());
                JsonNode toast = BotHarness.json(r.body()).path("toast");
                String en = toast.path("i18n").path("en_us").asText();
                if (STILL.equals(en) || ALREADY.equals(en)) {
                    losers++;
                } else {
                    assertTrue("success".equals(toast.path("type").asText()) || WORKING.equals(en), r.body());
                    winners++;
                }
            }
            assertEquals(1, winners, "one of the two clicks on " + card.messageId() + " runs");
            assertEquals(1, losers);
            stats.winners.incrementAndGet();
            stats.losers.incrementAndGet();
            int expected = appliedBefore + j + 1;
            int inVersion = j + 1;
            await(Duration.ofSeconds(20), () -> platform.applyCalls() == expected
                    && a.app.store().quota(TENANT, version).used() == inVersion);
        }
    }

    /** Until nothing is left: every message answered and no inbox row open. */
    private void awaitQuiet(List<String> messages, List<String> cardRequests) {
        Set<String> want = new HashSet<>(concat(messages, cardRequests));
        await(Duration.ofSeconds(60), () -> {
            Set<String> answered = platform.messages().stream().map(SentMessage::parentId).collect(Collectors.toSet());
            return answered.containsAll(want) && a.app.store().inboxDepth() == 0;
        });
    }

    // ---- looking at the database ----

    record InboxState(int rows, String status, int attempts, String owner) {}

    private Map<String, InboxState> inboxRows() throws SQLException {
        Map<String, InboxState> out = new HashMap<>();
        try (Connection c = Postgres.server().connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT dedup_key, status, attempts, owner FROM inbox")) {
            while (rs.next()) {
                InboxState now = new InboxState(1, rs.getString(2), rs.getInt(3), rs.getString(4));
                out.merge(rs.getString(1), now, (x, y) -> new InboxState(x.rows + 1, x.status, x.attempts, x.owner));
            }
        }
        return out;
    }

    private long count(String sql) throws SQLException {
        try (Connection c = Postgres.server().connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> concat(List<String> x, List<String> y) {
        List<String> out = new ArrayList<>(x);
        out.addAll(y);
        return out;
    }

    private static void await(Duration max, CheckedCondition done) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            try {
                if (done.test()) return;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            BotHarness.sleep(25);
        }
        throw new AssertionError("not reached within " + max.toSeconds() + " s");
    }

    @FunctionalInterface
    interface CheckedCondition {
        boolean test() throws Exception;
    }
}
