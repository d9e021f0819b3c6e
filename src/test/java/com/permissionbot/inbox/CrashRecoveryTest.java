package com.permissionbot.inbox;

import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An event acknowledged by a process that died before finishing it is handled after restart, and only once. */
class CrashRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void an_acknowledged_unfinished_row_is_handled_after_restart_and_only_once() {
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            String mid = platform.im().addUserMessage("oc_p2p_alice", "ou_alice", "text", "{\"text\":\"help\"}").messageId();
            String event = Events.p2p("ev-crash-1", mid, "help");
            // what a crashed process leaves behind: stored and acknowledged, leased to a worker that no longer runs
            try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("bot.db"))) {
                Instant received = Instant.now().minusSeconds(120);
                store.inboxInsert(InboxRow.incoming("msg:" + mid, "ev-crash-1", "im.message.receive_v1", "tenant_sandbox",
                        event, received), "bot-crashed", received.plusSeconds(60));
            }

            try (BotHarness bot = BotHarness.start(dir, platform, "")) {
                List<SentMessage> said = bot.awaitMessages(m -> !m.isEmpty());
                assertEquals(mid, said.get(0).parentId());
                assertEquals(200, bot.push("/webhook/event", event).statusCode(), "a late re-push is acknowledged");
                BotHarness.sleep(500);
                assertEquals(0, bot.app.store().inboxDepth());
            }
            try (BotHarness again = BotHarness.start(dir, platform, "")) {
                BotHarness.sleep(700);
                assertEquals(1, platform.messages().size(), "a finished row is not handled again after another restart");
                again.platform.clearMessages();
            }
        }
    }
}
