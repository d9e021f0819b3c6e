package com.permissionbot.faults;

import com.permissionbot.sandbox.EventPusher;
import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.PlatformEvents;
import com.permissionbot.sandbox.SentMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} over the long connection: the bot runs as its own process with {@code FEISHU_TRANSPORT=websocket}
 * (no encrypt key, no token), N messages come over its connection and are acknowledged (so each is durable), replies
 * are slow, and the process is killed before it answered them all. A restart on the same database reconnects and
 * answers every acknowledged message exactly once.
 */
class LongConnectionKillNineTest {
    static final int N = 16;
    static final Map<String, String> WEBSOCKET = Map.of("FEISHU_TRANSPORT", "websocket", "FEISHU_ENCRYPT_KEY", "",
            "FEISHU_VERIFICATION_TOKEN", "");
    static final String CONFIG = """
            inbox:
              workers: 4
              lease_seconds: 5
              poll_ms: 200
            feishu:
              long_connection:
                reconnect_jitter_ms: 0
            """;
    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void a_process_killed_after_its_acks_and_before_its_replies_is_restarted_and_answers_each_message_once() throws Exception {
        Path db = dir.resolve("bot.db");
        Path config = Files.writeString(dir.resolve("bot-config.yaml"), CONFIG);
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            LongConnectionGateway gateway = platform.longConnection().timing(EventPusher.Settings.platform().compressed(1_000));
            BotProcess first = BotProcess.start(platform, db, config, dir.resolve("bot-1.log"), WEBSOCKET);
            List<String> mids = new ArrayList<>();
            int killedWith;
            try {
                assertTrue(gateway.awaitConnections(1, Duration.ofSeconds(15)), "connected:\n" + first.tail());
                platform.faults().delay(KillNineTest.REPLIES, Duration.ofMillis(1500));
                List<LongConnectionGateway.Delivery> ds = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    LongConnectionGateway.Said said = gateway.say("oc_ws_kill_" + i, "p2p", ALICE, "help");
                    mids.add(said.message().messageId());
                    ds.add(said.delivery());
                }
                for (LongConnectionGateway.Delivery d : ds) {
                    assertTrue(d.done().get(10, TimeUnit.SECONDS), "acknowledged: " + d.attempts());
                    assertEquals(200, d.attempts().get(0).code(), "on its first push");
                }
                PlatformFaultsTest.waitUntil(Duration.ofSeconds(15), () -> replied(platform, mids) >= 1);
                first.kill();
                killedWith = replied(platform, mids);
            } catch (Throwable t) {
                System.out.println("first bot's log:\n" + first.tail());
                first.kill();
                throw t;
            }
            Thread.sleep(2000); // replies the dead process had in flight still land
            int landedAfterKill = replied(platform, mids) - killedWith;
            assertTrue(killedWith + landedAfterKill < N, "killed mid-way, with acknowledged messages still to answer");
            PlatformFaultsTest.waitUntil(Duration.ofSeconds(5), () -> gateway.connections().isEmpty());

            try (BotProcess second = BotProcess.start(platform, db, config, dir.resolve("bot-2.log"), WEBSOCKET)) {
                assertTrue(gateway.awaitConnections(1, Duration.ofSeconds(15)), "the restarted bot connected:\n" + second.tail());
                platform.faults().delay(KillNineTest.REPLIES, Duration.ZERO);
                PlatformFaultsTest.waitUntil(Duration.ofSeconds(30), () -> replied(platform, mids) == N);
                Thread.sleep(1500);
                Map<String, Long> replies = platform.messages().stream().filter(s -> mids.contains(s.parentId()))
                        .collect(Collectors.groupingBy(s -> s.kind() + " " + s.parentId(), TreeMap::new, Collectors.counting()));
                Map<String, Long> want = mids.stream().collect(Collectors.toMap(m -> "REPLY " + m, m -> 1L, (a, b) -> a, TreeMap::new));
                if (!want.equals(replies)) System.out.println("second bot's log:\n" + second.tail());
                System.out.printf("[measured] long connection, kill -9: %d messages acknowledged over the socket, killed with %d "
                        + "answered (%d more landed after), the restart answered the rest, each once%n", N, killedWith, landedAfterKill);
                assertEquals(want, replies, "exactly one reply per acknowledged message");
            }
        }
    }

    private static int replied(PlatformEmulator platform, List<String> mids) {
        return (int) platform.messages().stream().filter(s -> s.kind() == SentMessage.Kind.REPLY).map(SentMessage::parentId)
                .filter(mids::contains).distinct().count();
    }
}
