package com.permissionbot.longconnection;

import com.permissionbot.sandbox.EventPusher;
import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.LongConnectionGateway.Delivery;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.PlatformEvents;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.InboxRow;
import com.permissionbot.support.Postgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static com.permissionbot.longconnection.WsBot.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas (two App instances) on one PostgreSQL database, each holding one long connection to the emulator's
 * gateway in cluster mode: every message goes to one random connection, and its repeats (the same event at once, the
 * same message under a new event id, the platform's duplicates after the ack) to random ones; each is answered once.
 */
@ExtendWith(Postgres.class)
class LongConnectionReplicasTest {
    static final int MESSAGES = 400;
    static final int CHATS = 200;
    static final String REPLY = "/open-apis/im/v1/messages/{message_id}/reply";
    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");

    PlatformEmulator platform;
    String database;
    WsBot a;
    WsBot b;

    @BeforeEach
    void start() throws InterruptedException {
        platform = PlatformEmulator.start();
        platform.longConnection().timing(EventPusher.Settings.platform().compressed(1_000));
        database = Postgres.server().createDatabase();
        String url = Postgres.server().herokuUrl(database);
        a = WsBot.start(platform, url);
        b = WsBot.start(platform, url);
        assertTrue(platform.longConnection().awaitConnections(2, Duration.ofSeconds(10)), "one connection each");
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
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void each_of_several_hundred_messages_pushed_to_random_replicas_again_and_again_is_answered_exactly_once() throws Exception {
        LongConnectionGateway gateway = platform.longConnection();
        gateway.setDuplicates(true);
        long t0 = System.nanoTime();
        Map<String, List<Delivery>> byMessage = new HashMap<>();
        for (int i = 0; i < MESSAGES; i++) {
            LongConnectionGateway.Said said = gateway.say("oc_rep_" + (i % CHATS), "p2p", ALICE, i % 3 == 0 ? "quota" : "help");
            List<Delivery> ds = new ArrayList<>(List.of(said.delivery()));
            if (i % 2 == 0) ds.add(gateway.redeliver(said.delivery(), false)); // the same event at once, to a random replica
            if (i % 4 == 1) ds.add(gateway.redeliver(said.delivery(), true));  // the same message under a new event id
            byMessage.put(said.message().messageId(), ds);
        }
        for (List<Delivery> ds : byMessage.values()) {
            for (Delivery d : ds) assertTrue(d.done().get(30, TimeUnit.SECONDS), d.attempts().toString());
        }
        await(() -> replies().size() == MESSAGES, Duration.ofSeconds(60), "every message answered: " + replies().size());
        // the duplicates the platform pushes after each ack (150 and 300 ms later) reach both replicas too
        await(() -> gateway.recent().stream().filter(d -> d.kind() != EventPusher.Kind.ORIGINAL).allMatch(d -> d.done().isDone()),
                Duration.ofSeconds(10), "the platform's duplicates acknowledged");
        WsBot.pause(800); // anything handled twice would show by now

        Map<String, Long> replies = replies();
        for (String mid : byMessage.keySet()) assertEquals(1L, replies.getOrDefault(mid, 0L), "replies to " + mid);
        assertEquals(MESSAGES, platform.calls("POST", REPLY), "reply API calls");

        Map<String, Integer> rowsByOwner = new HashMap<>();
        int rows = 0;
        try (Connection c = Postgres.server().connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT dedup_key, status, attempts, owner FROM inbox")) {
            Set<String> keys = new HashSet<>();
            while (rs.next()) {
                rows++;
                assertTrue(keys.add(rs.getString(1)), "one row for " + rs.getString(1));
                assertEquals(InboxRow.DONE, rs.getString(2));
                assertEquals(1, rs.getInt(3), "handled on its first attempt");
                rowsByOwner.merge(rs.getString(4), 1, Integer::sum);
            }
        }
        assertEquals(MESSAGES, rows);
        assertEquals(2, rowsByOwner.size(), "both replicas stored messages: " + rowsByOwner);

        Map<String, Long> acksByConnection = byMessage.values().stream().flatMap(List::stream).map(Delivery::receivedBy)
                .filter(Objects::nonNull).collect(Collectors.groupingBy(x -> x, Collectors.counting()));
        long split = byMessage.values().stream()
                .filter(ds -> ds.stream().map(Delivery::receivedBy).filter(Objects::nonNull).distinct().count() > 1).count();
        assertEquals(2, acksByConnection.size(), "cluster mode: both connections took pushes " + acksByConnection);
        assertTrue(split > MESSAGES / 8, "many messages reached both replicas: " + split);
        System.out.printf("[measured] two replicas on PostgreSQL over the long connection: %d messages, %d repeats pushed at once "
                        + "and %d duplicates the platform pushed after the acks, %d messages reached both replicas, acks per "
                        + "connection %s, rows per replica %s, each answered once; %.1f s%n",
                MESSAGES, byMessage.values().stream().mapToInt(List::size).sum() - MESSAGES, 2 * MESSAGES, split,
                acksByConnection.values(), rowsByOwner.values(), (System.nanoTime() - t0) / 1e9);
    }

    private Map<String, Long> replies() {
        return platform.messages().stream().filter(m -> m.kind() == SentMessage.Kind.REPLY)
                .collect(Collectors.groupingBy(SentMessage::parentId, Collectors.counting()));
    }
}
