package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.cards.Markdown;
import com.permissionbot.sandbox.SentMessage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The doctor in chat over real HTTP: signed events in, real SDK calls out to the emulator, the Test button's callback. */
class DoctorFlowTest extends FunctionalTest {

    @Test
    void the_doctor_checks_the_running_bot_and_its_test_button_proves_callbacks_arrive() {
        SentMessage card = bot.say(CHAT, "自检");
        String text = card.content().toString();
        assertTrue(text.contains("Doctor: all good"), text);
        assertTrue(text.contains(Markdown.escape("Webhook: the last signed request arrived at")), "the message that asked was signed: " + text);
        assertTrue(text.contains("im&#58;message.p2p&#95;msg&#58;readonly"), "the granted own scopes are named: " + text);
        assertTrue(text.contains("is online"), text);

        JsonNode answer = bot.click(card, "ou_alice", "doctor_test");
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        String tested = answer.path("card").path("data").toString();
        assertTrue(tested.contains(Markdown.escape("The Test click reached the bot")), tested);
        assertFalse(tested.contains("doctor_test"), "no Test button once tested");
    }

    @Test
    void an_own_scope_the_tenant_revoked_is_offered_for_apply_and_the_apply_spends_one_application() {
        platform.tenant().revoke("im:message.group_at_msg:readonly");
        SentMessage card = bot.say(CHAT, "doctor");
        String text = card.content().toString();
        assertTrue(text.contains("1 thing to fix") && text.contains(Markdown.escape("press Apply")), text);
        JsonNode answer = bot.click(card, "ou_alice", "apply");
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        assertEquals(1, platform.appliesUsed());
    }

    @Test
    void forged_requests_are_counted_by_reason_for_the_doctor() {
        for (int i = 0; i < 5; i++) {
            var r = bot.post("/webhook/event", "{\"encrypt\":\"AAAA\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.util.Map.of("X-Lark-Request-Timestamp", String.valueOf(System.currentTimeMillis() / 1000),
                            "X-Lark-Request-Nonce", "n" + i, "X-Lark-Signature", "forged"));
            assertEquals(401, r.statusCode());
        }
        String text = bot.say(CHAT, "doctor").content().toString();
        assertTrue(text.contains(Markdown.escape("refused in the last hour: {signature=5}")), text);
    }
}
