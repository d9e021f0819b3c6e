package com.permissionbot.chat;

import com.permissionbot.cards.CardRenderer;
import com.permissionbot.support.FakeGateway;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Being added to a group: a welcome card to that chat, and nothing at all when the event names no chat. */
class BotAddedTest {
    private final FakeGateway platform = new FakeGateway();
    private final Conversation conversation = new Conversation(platform, CardRenderer.load(null),
            () -> new Conversation.BotSelf("ou_bot", "Permission Bot"));

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
