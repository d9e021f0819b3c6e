package com.permissionbot.faults;

import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.Events;
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
 * {@code kill -9} while acknowledged messages are being answered: the bot runs as its own process, replies are slow
 * (1.5 s on the platform), N messages are acknowledged, and the process is killed with replies done, in flight and
 * not started. A second process on the same database must answer every acknowledged message exactly once (the rows
 * come back when their 5 s lease runs out; a reply the dead process had in flight is repeated with the same uuid,
 * which the platform de-duplicates).
 */
class KillNineTest {
    static final int N = 16;
    static final String REPLIES = "/open-apis/im/v1/messages/om_";
    static final String CONFIG = """
            inbox:
              workers: 4
              lease_seconds: 5
              poll_ms: 200
            """;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void a_process_killed_with_replies_in_flight_loses_no_acknowledged_message() throws Exception {
        Path db = dir.resolve("bot.db");
        Path config = Files.writeString(dir.resolve("bot-config.yaml"), CONFIG);
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            long t0 = System.nanoTime();
            BotProcess first = BotProcess.start(platform, db, config, dir.resolve("bot-1.log"));
            long startMs = (System.nanoTime() - t0) / 1_000_000;
            List<String> mids = new ArrayList<>();
            int killedWith;
            try {
                platform.faults().delay(REPLIES, Duration.ofMillis(1500));
                for (int i = 0; i < N; i++) {
                    // one chat each: the platform allows 5 bot messages per second per chat
                    String mid = platform.im().addUserMessage("oc_kill_" + i, "ou_alice", "text", "{\"text\":\"help\"}").messageId();
                    assertEquals(200, first.push("/webhook/event", Events.p2p("ev-" + mid, mid, "help")), "acknowledged");
                    mids.add(mid);
                }
                PlatformFaultsTest.waitUntil(Duration.ofSeconds(15), () -> replied(platform, mids) >= 1);
                first.kill();
                killedWith = replied(platform, mids);
            } catch (Throwable t) {
                System.out.println("first bot's log:\n" + first.tail());
                first.kill();
                throw t;
            }
            // replies the dead process had in flight still land on the platform, after it died
            Thread.sleep(2000);
            int landedAfterKill = replied(platform, mids) - killedWith;
            System.out.printf("bot process started in %d ms; killed (SIGKILL) with %d of %d messages answered, %d more "
                    + "replies it had in flight landed after it died%n", startMs, killedWith, N, landedAfterKill);
            assertTrue(killedWith + landedAfterKill < N, "killed mid-way, with messages still to answer");

            try (BotProcess second = BotProcess.start(platform, db, config, dir.resolve("bot-2.log"))) {
                platform.faults().delay(REPLIES, Duration.ZERO);
                PlatformFaultsTest.waitUntil(Duration.ofSeconds(30), () -> replied(platform, mids) == N);
                Thread.sleep(1500);
                Map<String, Long> replies = platform.messages().stream()
                        .collect(Collectors.groupingBy(s -> s.kind() + " " + s.parentId(), TreeMap::new, Collectors.counting()));
                Map<String, Long> want = mids.stream().collect(Collectors.toMap(m -> "REPLY " + m, m -> 1L, (a, b) -> a, TreeMap::new));
                if (!want.equals(replies)) System.out.println("second bot's log:\n" + second.tail());
                System.out.printf("after restart: %d replies for %d messages, %d reply calls in all%n",
                        platform.messages().size(), N, platform.calls("POST", "/open-apis/im/v1/messages/{message_id}/reply"));
                assertEquals(want, replies, "exactly one reply per acknowledged message");
            }
        }
    }

    private static int replied(PlatformEmulator platform, List<String> mids) {
        return (int) platform.messages().stream().map(SentMessage::parentId).filter(mids::contains).distinct().count();
    }
}
