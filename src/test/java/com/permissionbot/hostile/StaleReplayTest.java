package com.permissionbot.hostile;

import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A captured, correctly signed Apply click replayed: within the de-duplication window it is answered from the first
 * click; a day later, when the hourly purge has deleted the click's claim, nothing else stops it, because the edge
 * never looks at the signed {@code X-Lark-Request-Timestamp}.
 */
class StaleReplayTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_captured_apply_click_replayed_within_the_window_applies_once() {
        try (BotHarness bot = BotHarness.start(dir)) {
            Captured click = capture(bot);
            assertEquals(200, bot.post("/webhook/card", click.body, click.headers).statusCode());
            assertEquals(1, bot.platform.applyCalls());
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = bot.post("/webhook/card", click.body, click.headers);
                assertEquals(200, r.statusCode());
                assertEquals("This click was already handled.", BotHarness.json(r.body()).path("toast").path("i18n").path("en_us").asText());
            }
            assertEquals(1, bot.platform.applyCalls());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a_captured_apply_click_replayed_a_day_later_is_refused() {
        try (BotHarness bot = BotHarness.start(dir)) {
            Captured click = capture(bot);
            assertEquals(200, bot.post("/webhook/card", click.body, click.headers).statusCode());
            assertEquals(1, bot.platform.applyCalls());

            // the admin turned the application down, a day passes, and the hourly purge runs
            bot.platform.tenant().rejectPending();
            bot.clock.advance(Duration.ofHours(25));
            bot.app.store().inboxPurge(bot.clock.instant().minus(Duration.ofHours(24)));
            bot.app.store().purgeActions(bot.clock.instant().minus(Duration.ofHours(24)));

            HttpResponse<String> replay = bot.post("/webhook/card", click.body, click.headers);
            System.out.println("stale replay answered " + replay.statusCode() + ": " + replay.body().substring(0, Math.min(160, replay.body().length())));
            assertEquals(1, bot.platform.applyCalls(), "a day-old signed request must not apply again");
            assertEquals(401, replay.statusCode());
        }
    }

    private record Captured(byte[] body, Map<String, String> headers) {}

    /** A correctly signed Apply click on a fresh "missing" card, as it crossed the wire. */
    private static Captured capture(BotHarness bot) {
        SentMessage missing = bot.say("oc_p2p_alice", "missing permissions");
        Map<String, String> value = CardJson.button(missing.content(), "apply");
        List<String> kv = new ArrayList<>();
        value.forEach((k, v) -> {
            kv.add(k);
            kv.add(v);
        });
        String plain = Events.click("ev-captured", missing.messageId(), "ou_alice", kv.toArray(new String[0]));
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        return new Captured(body, Map.of("X-Lark-Request-Timestamp", ts, "X-Lark-Request-Nonce", "captured-nonce",
                "X-Lark-Signature", PlatformCrypto.sign(ts, "captured-nonce", BotHarness.KEY, body)));
    }
}
