package com.permissionbot.chat;

import com.permissionbot.support.ChatScript;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Being added to a group: a welcome card to that chat, and nothing at all when the event names no chat. */
class BotAddedTest {
    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    @Test
    void a_new_group_gets_the_welcome_card() {
        chat.event(Conversation.BOT_ADDED, "ev-1", Events.botAdded("ev-1", "oc_team", "Team"));
        assertEquals(1, chat.platform.said.size());
        assertEquals("send", chat.platform.said.get(0).kind());
        assertEquals("oc_team", chat.platform.said.get(0).target());
        assertEquals("welcome", chat.platform.said.get(0).card().name());
    }

    @Test
    void an_event_without_a_chat_id_sends_nothing() {
        chat.event(Conversation.BOT_ADDED, "ev-2", Events.botAdded("ev-2", "", "Team"));
        assertTrue(chat.platform.said.isEmpty());
    }
}
