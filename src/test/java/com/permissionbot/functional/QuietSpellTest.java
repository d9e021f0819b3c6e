package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.EmulatorConfig;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a quiet spell: the platform closes keep-alive connections idle longer than its idle timeout (about 1 s here,
 * 30 s for Jetty and many gateways), while the bot keeps pooled connections longer. Every command must still be
 * answered at once, and the first grant check after the spell must succeed.
 */
class QuietSpellTest {
    static final String CHAT = "oc_p2p_alice";
    @TempDir
    Path dir;
    PlatformEmulator platform;
    BotHarness bot;

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start(EmulatorConfig.defaults().withIdleTimeout(Duration.ofMillis(800)));
        // no quick repeats in the bot: a call that met a closed connection must be repaired by the transport itself
        bot = BotHarness.start(dir, platform, "retry:\n  in_call_ms: 5000\nfollow:\n  tick_seconds: 3600\n");
    }

    @AfterEach
    void stop() {
        bot.close();
        platform.close();
    }

    /**
     * The quiet spell: waits until the platform has closed every connection the bot held (at most 10 s), and moves the
     * bot's clock past its caches (the scopes list, the app version), so the next commands call the platform.
     */
    private void quietSpell() {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (platform.openConnections() > 0) {
            if (System.nanoTime() > end) throw new AssertionError("the platform kept " + platform.openConnections() + " connection(s) open");
            BotHarness.sleep(20);
        }
        bot.clock.advance(Duration.ofMinutes(11));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void every_command_after_a_quiet_spell_is_answered_at_once() {
        for (String command : List.of("missing permissions", "permission status", "quota", "help", "my requests")) {
            bot.say(CHAT, command);
            quietSpell();
            long t = System.nanoTime();
            SentMessage reply = bot.say(CHAT, command);
            long ms = (System.nanoTime() - t) / 1_000_000;
            String title = FunctionalTest.title(reply.content());
            System.out.printf("'%s' after a quiet spell: '%s' in %d ms%n", command, title, ms);
            assertTrue(!title.contains("Could not") && !reply.content().toString().contains("list_failed"), title);
            assertTrue(ms < 4000, "answered without a back-off: " + ms + " ms");
        }
        assertEquals(0, bot.app.store().outboxDepth(), "no reply had to wait in the outbox");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void the_first_grant_check_after_a_quiet_spell_succeeds() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        JsonNode answer = bot.click(missing, "ou_alice", "apply");
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        platform.tenant().grantPending();
        quietSpell();
        int lists = platform.calls("GET", "/open-apis/application/v6/scopes");
        bot.app.bot().watcher.tick();
        assertEquals(lists + 1, platform.calls("GET", "/open-apis/application/v6/scopes"), "one scopes list, answered");
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.REPLY
                && missing.messageId().equals(s.parentId())));
        assertTrue(said.stream().anyMatch(s -> FunctionalTest.title(s.content()).toLowerCase().contains("granted")), said.toString());
    }
}
