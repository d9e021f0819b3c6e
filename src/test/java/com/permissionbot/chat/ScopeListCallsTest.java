package com.permissionbot.chat;

import com.permissionbot.support.ChatScript;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the scopes list costs the tenant's API budget: one call a minute for the chat, fresh for Apply and the watcher. */
class ScopeListCallsTest {
    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir);
        chat.platform.scope("im:message", true).scope("contact:user.base:readonly", false).scope("approval:approval", false);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    @Test
    void ten_users_asking_in_the_same_minute_cost_one_scopes_list_call() {
        for (int i = 1; i <= 10; i++) {
            chat.as("ou_user" + i).in("oc_chat" + i).user(i % 2 == 0 ? "permission status" : "missing permissions");
            chat.clock.advance(Duration.ofSeconds(5));
        }
        assertEquals(1, chat.platform.listCalls.get());
        chat.clock.advance(Duration.ofSeconds(10));
        chat.user("missing permissions");
        assertEquals(2, chat.platform.listCalls.get(), "a minute later the list is read again");
    }

    @Test
    void apply_reads_the_list_afresh_so_a_grant_made_since_the_card_spends_nothing_and_shows_at_once() {
        chat.user("missing permissions").showing("approval&#58;approval");
        chat.platform.grantAll();
        chat.clock.advance(Duration.ofSeconds(20));
        chat.clicks("apply").cardBecomes("apply_nothing_to_apply");
        assertEquals(2, chat.platform.listCalls.get());
        assertEquals(0, chat.platform.applyCalls.get());
        chat.user("missing permissions").repliesWith("all_granted");
        assertEquals(2, chat.platform.listCalls.get(), "the chat shows what Apply read");
    }

    @Test
    void a_check_of_the_grant_watcher_reads_afresh_and_the_chat_then_shows_what_it_read() {
        chat.user("missing permissions").showing("approval&#58;approval");
        chat.platform.scope("approval:approval", true);
        chat.clock.advance(Duration.ofSeconds(20));
        chat.bot.watcher.tick();
        assertEquals(2, chat.platform.listCalls.get(), "the watcher does not take the chat's cached list");
        chat.user("missing permissions").repliesWith("missing").notShowing("approval&#58;approval");
        assertEquals(2, chat.platform.listCalls.get());
    }
}
