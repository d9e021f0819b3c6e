package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The apply flow through real HTTP: encrypted, signed messages and card callbacks, the bot's real SDK client, and
 * the platform emulator's apply rules on loopback.
 */
class ApplyFlowTest extends FunctionalTest {
    @Override
    String botConfig() {
        return "apply:\n  cooldown_seconds: 0\n";
    }

    private static JsonNode cardOf(JsonNode answer) {
        return answer.path("card").path("data");
    }

    @Test
    void missing_in_english_and_chinese_then_apply_then_quota() {
        long t = System.nanoTime();
        SentMessage missing = bot.say(CHAT, "which permissions are missing?");
        System.out.printf("missing card after %d ms%n", (System.nanoTime() - t) / 1_000_000);
        String text = missing.content().toString();
        assertTrue(text.contains("contact&#58;user.base&#58;readonly"), text);
        assertTrue(text.contains("0/10"), text);
        assertTrue(bot.say(CHAT, "缺少哪些权限").content().toString().contains("approval&#58;approval"));

        t = System.nanoTime();
        JsonNode answer = bot.click(missing, "ou_alice", "apply");
        System.out.printf("apply answered after %d ms%n", (System.nanoTime() - t) / 1_000_000);
        assertEquals("success", answer.path("toast").path("type").asText());
        assertTrue(cardOf(answer).toString().contains("1/10"), answer.toString());
        String card = cardOf(answer).toString();
        assertTrue(card.contains("left out of the application") && card.contains("contact&#58;user.phone&#58;readonly"),
                "the success card names the high-sensitivity scope the application left out: " + card);
        assertEquals(1, platform.appliesUsed());
        assertTrue(platform.tenant().hasPendingApplication());

        assertTrue(bot.say(CHAT, "quota").content().toString().contains("1/10"));
    }

    @Test
    void a_double_click_and_two_racing_clicks_apply_once() throws Exception {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        JsonNode first = bot.click(missing, "ou_alice", "apply");
        JsonNode second = bot.click(missing, "ou_alice", "apply");
        assertEquals(cardOf(first), cardOf(second), "the repeat shows the same outcome");
        assertEquals(1, platform.applyCalls());

        SentMessage again = bot.say(CHAT, "missing permissions");
        platform.tenant().rejectPending();
        List<CompletableFuture<JsonNode>> racing = new ArrayList<>();
        for (int i = 0; i < 6; i++) racing.add(CompletableFuture.supplyAsync(() -> bot.click(again, "ou_alice", "apply")));
        for (var f : racing) f.get();
        assertEquals(2, platform.applyCalls(), "six racing clicks of one button make one more apply call");
        assertEquals(2, platform.appliesUsed());
    }

    @Test
    void each_platform_outcome_has_its_card_with_code_and_log_id() {
        platform.tenant().setAppliesUsed(10);
        JsonNode exhausted = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertEquals("No applications left for this version", title(exhausted));
        assertTrue(exhausted.toString().contains("212003"));
        assertTrue(bot.say(CHAT, "quota").content().toString().contains("10/10"));

        platform.tenant().publishVersion("1.0.1");
        bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply");
        JsonNode duplicate = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertTrue(duplicate.toString().contains("212004"), duplicate.toString());
        assertEquals(1, platform.appliesUsed(), "212004 spends nothing");
        assertTrue(bot.say(CHAT, "quota").content().toString().contains("1.0.1"), "the new version was picked up");

        platform.tenant().rejectPending();
        platform.tenant().clearScopes();
        platform.tenant().declareScope("im:message", true);
        platform.tenant().declareScope("contact:user.phone:readonly", false);
        platform.tenant().markHighSensitivity("contact:user.phone:readonly");
        JsonNode onlySuper = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertTrue(onlySuper.toString().contains("212001"), onlySuper.toString());

        platform.faults().rateLimit("/open-apis/application/v6/scopes/apply", 1, 30);
        platform.tenant().declareScope("approval:approval", false);
        JsonNode limited = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertTrue(limited.toString().contains("99991400") && limited.toString().contains("30"), limited.toString());

        JsonNode stillWaiting = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertTrue(stillWaiting.toString().contains("99991400"), "the bot waits out the reset without calling");
        bot.clock.advance(Duration.ofSeconds(31));
        platform.faults().serverError("/open-apis/application/v6/scopes/apply", 1);
        JsonNode uncertain = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertTrue(uncertain.toString().contains("5000"), uncertain.toString());
        assertTrue(CardJson.button(uncertain, "apply") != null, "an uncertain outcome offers a retry");

        platform.tenant().setInstalled(false);
        JsonNode notInstalled = bot.say(CHAT, "missing permissions").content();
        assertTrue(notInstalled.toString().contains("212100"), notInstalled.toString());
    }

    @Test
    void a_version_published_a_moment_ago_shows_in_quota_and_the_next_apply_counts_against_it() {
        bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply");
        platform.tenant().rejectPending();
        assertTrue(bot.say(CHAT, "quota").content().toString().contains("1.0.0"));

        String published = platform.tenant().publishVersion("1.0.1");
        String quota = bot.say(CHAT, "quota").content().toString();
        assertTrue(quota.contains("1.0.1") && quota.contains("0/10"), quota);
        JsonNode applied = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertEquals("Request sent to the admin", title(applied));
        assertTrue(applied.toString().contains("1.0.1") && applied.toString().contains("1/10"), applied.toString());
        assertEquals(1, platform.tenant().appliesUsed(published));
        String tenant = platform.config().tenantKey();
        assertEquals(1, bot.app.store().quota(tenant, "1.0.1").used(), "counted against the version the platform counted");
        assertEquals(1, bot.app.store().quota(tenant, "1.0.0").used());
    }

    @Test
    void after_ten_of_ten_publishing_a_new_version_makes_apply_succeed_and_count_one_on_it() {
        platform.tenant().setAppliesUsed(10);
        SentMessage missing = bot.say(CHAT, "missing permissions");
        assertEquals("No applications left for this version", title(cardOf(bot.click(missing, "ou_alice", "apply"))));
        SentMessage usedUp = bot.say(CHAT, "missing permissions");
        assertTrue(CardJson.button(usedUp.content(), "apply") == null, "no Apply while the version is used up");

        String published = platform.tenant().publishVersion("1.0.1");
        SentMessage fresh = bot.say(CHAT, "missing permissions");
        assertTrue(fresh.content().toString().contains("1.0.1"), fresh.content().toString());
        JsonNode applied = cardOf(bot.click(fresh, "ou_alice", "apply"));
        assertEquals("Request sent to the admin", title(applied), applied.toString());
        assertTrue(applied.toString().contains("1/10"), applied.toString());
        assertEquals(1, platform.tenant().appliesUsed(published));
        assertEquals(1, bot.app.store().quota(platform.config().tenantKey(), "1.0.1").used());
        assertTrue(bot.say(CHAT, "quota").content().toString().contains("1/10"));
    }

    @Test
    void a_slow_platform_gets_working_within_the_deadline_and_the_card_is_updated_later() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        platform.faults().delay("/open-apis/application/v6/scopes/apply", Duration.ofMillis(2600));
        long t = System.nanoTime();
        JsonNode answer = bot.click(missing, "ou_alice", "apply");
        long ms = (System.nanoTime() - t) / 1_000_000;
        System.out.printf("slow apply answered after %d ms%n", ms);
        assertEquals("info", answer.path("toast").path("type").asText());
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(s ->
                s.kind() == SentMessage.Kind.PATCH && s.messageId().equals(missing.messageId())));
        SentMessage patch = said.stream().filter(s -> s.kind() == SentMessage.Kind.PATCH).findFirst().orElseThrow();
        assertTrue(patch.content().toString().contains("1/10"), patch.content().toString());
        assertEquals(1, platform.applyCalls());
    }

    @Test
    void quota_survives_a_restart() {
        bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply");
        bot.close();
        bot = BotHarness.start(dir, platform, "");
        assertTrue(bot.say(CHAT, "quota").content().toString().contains("1/10"));
    }

    @Test
    void hostile_scope_names_and_messages_never_reach_a_card_live() {
        platform.tenant().declareScope("<at id=all></at>[win](https://evil.example)**bold**", false);
        SentMessage missing = bot.say(CHAT, "missing permissions");
        String text = missing.content().toString();
        assertFalse(text.contains("<at"), text);
        assertFalse(text.contains("](https"), text);
        assertFalse(text.contains("**bold**"), text);
        assertTrue(text.contains("&#60;at id=all&#62;"), text);
        SentMessage help = bot.say(CHAT, "<at id=all></at> [x](https://evil.example)");
        assertFalse(help.content().toString().contains("<at id=all>"));
    }

    @Test
    void a_click_answer_is_a_json_2_card_under_the_size_limit() {
        HttpResponse<String> r = bot.push("/webhook/card", Events.click("ev-x", bot.say(CHAT, "permission status").messageId(),
                "ou_alice", "action", "page", "card", "status", "page", "1"));
        assertEquals(200, r.statusCode());
        JsonNode card = cardOf(BotHarness.json(r.body()));
        assertEquals("2.0", card.path("schema").asText());
        assertTrue(r.body().length() < 30 * 1024);
        assertEquals(Map.of(), Map.of());
    }
}
