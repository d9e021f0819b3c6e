package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.cards.Markdown;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through real HTTP: the missing card's form submitted with a reason as an encrypted, signed {@code card.action.trigger}
 * with {@code form_value}; the reason on the outcome card and in "my requests", and a request card in the admins'
 * chat of the emulator, updated in place when the admin grants the application.
 */
class ApplyReasonFlowTest extends FunctionalTest {
    static final String OPS = "oc_ops";
    static final String REASON = "Leave sync needs approvals <at id=all></at> [x](https://evil.example)";

    @Override
    String botConfig() {
        return "apply:\n  cooldown_seconds: 0\nfollow:\n  tick_seconds: 1\n  ops_chat_id: " + OPS + "\n"
                + "retry:\n  in_call_ms: 50\n  outbox_first_ms: 200\n  outbox_max_ms: 400\n";
    }

    private static boolean admins(SentMessage s) {
        return s.kind() == SentMessage.Kind.SEND && OPS.equals(s.chatId()) && title(s.content()).equals("Permission request");
    }

    @Test
    void a_reason_submitted_with_apply_reaches_the_outcome_card_my_requests_and_the_admins_chat_which_follows_the_grant() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        JsonNode answer = bot.submit(missing, "ou_alice", "apply", Map.of("reason", REASON)).path("card").path("data");
        assertEquals("Request sent to the admin", title(answer));
        String escaped = Markdown.escape(REASON);
        assertTrue(answer.toString().contains(escaped), answer.toString());
        assertEquals(1, platform.appliesUsed());

        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(ApplyReasonFlowTest::admins));
        SentMessage card = said.stream().filter(ApplyReasonFlowTest::admins).findFirst().orElseThrow();
        String text = card.content().toString();
        assertTrue(text.contains(escaped), text);
        assertTrue(text.contains("<person id=ou_alice></person>") && text.contains("1/10"), text);
        assertFalse(text.contains("<at id=all>") || text.contains("](https"), "the reason is inert: " + text);

        String mine = bot.say(CHAT, "my requests").content().toString();
        assertTrue(mine.contains("reason&#58; " + escaped), mine);

        platform.tenant().grantAll();
        bot.clock.advance(Duration.ofSeconds(61));
        List<SentMessage> after = bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.PATCH
                && s.messageId().equals(card.messageId()) && s.content().toString().contains("Granted by")));
        assertEquals(1, after.stream().filter(ApplyReasonFlowTest::admins).count(), "the admins' card is updated, not sent again");
        assertTrue(after.stream().filter(s -> s.kind() == SentMessage.Kind.PATCH && s.messageId().equals(card.messageId()))
                .allMatch(s -> s.content().toString().contains(escaped)), "the reason stays on it");
    }

    @Test
    void the_admins_card_waits_out_a_platform_outage() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        // more failures than one delivery's quick repeats: the card waits in the outbox
        platform.faults().serverError("/open-apis/im/", 6);
        bot.submit(missing, "ou_alice", "apply", Map.of("reason", "outage test"));
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(ApplyReasonFlowTest::admins));
        // once nothing is owed any more, a second copy would have been sent already
        long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (bot.app.store().outboxDepth() > 0 && System.nanoTime() < end) BotHarness.sleep(20);
        assertEquals(0, bot.app.store().outboxDepth());
        assertEquals(1, platform.messages().stream().filter(ApplyReasonFlowTest::admins).count(), "sent once: " + said);
    }
}
