package com.permissionbot.chat;

import com.permissionbot.domain.BotAdded;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.TestOutbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Being added to a group: a welcome card to that chat, and nothing at all when the event names no chat. */
class BotAddedTest {
    private final FakeGateway platform = new FakeGateway();
    @TempDir
    Path dir;
    private Store store;
    private Outbox outbox;
    private Conversation conversation;

    @BeforeEach
    void start() {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("bot.db"));
        outbox = TestOutbox.over(store, platform, Clock.systemUTC());
        conversation = new Conversation(outbox, CardRenderer.load(null), () -> new Conversation.BotSelf("ou_bot", "Permission Bot"),
                Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        outbox.close();
        store.close();
    }

    @Test
    void a_new_group_gets_the_welcome_card() {
        conversation.onBotAdded(new BotAdded("ev-1", "tenant_1", "oc_team", "ou_alice", "Team"));
        assertEquals(1, platform.said.size());
        assertEquals("send", platform.said.get(0).kind());
        assertEquals("oc_team", platform.said.get(0).target());
        assertEquals("welcome", platform.said.get(0).card().name());
    }

    @Test
    void an_event_without_a_chat_id_sends_nothing() {
        conversation.onBotAdded(new BotAdded("ev-2", "tenant_1", "", "ou_alice", "Team"));
        assertTrue(platform.said.isEmpty());
    }
}
