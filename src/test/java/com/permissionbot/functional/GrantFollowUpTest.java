package com.permissionbot.functional;

import com.permissionbot.sandbox.SentMessage;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Through real HTTP: after an apply the bot watches the grant status and tells the requester, and catches revocations. */
class GrantFollowUpTest extends FunctionalTest {
    @Override
    String botConfig() {
        return "follow:\n  tick_seconds: 1\n  ops_chat_id: oc_ops\nretry:\n  in_call_ms: 50\n  outbox_first_ms: 200\n  outbox_max_ms: 400\n";
    }

    private static boolean revocation(SentMessage s) {
        return s.kind() == SentMessage.Kind.SEND && s.content().path("header").path("title").path("content").asText().equals("Scopes were revoked");
    }

    @Test
    void granting_the_application_updates_the_card_and_mentions_the_requester_then_a_revocation_alerts() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        bot.click(missing, "ou_alice", "apply");
        BotHarness.sleep(1500);
        platform.tenant().grantPending();
        // the high-sensitivity scope was swept in too; the admin grants it by hand in the admin console
        platform.tenant().grant("contact:user.phone:readonly");
        bot.clock.advance(Duration.ofSeconds(61));
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.REPLY
                && missing.messageId().equals(s.parentId()) && s.content().toString().contains("<at id=ou_alice></at>")));
        assertTrue(said.stream().anyMatch(s -> s.kind() == SentMessage.Kind.PATCH && s.messageId().equals(missing.messageId())
                && s.content().toString().contains("granted")), "the original card turns into 'granted'");

        assertTrue(bot.say(CHAT, "my requests").content().toString().contains("granted"));

        platform.tenant().revoke("contact:user.base:readonly");
        bot.clock.advance(Duration.ofHours(2));
        List<SentMessage> alerts = bot.awaitMessages(m -> m.stream().filter(GrantFollowUpTest::revocation).count() >= 2);
        assertEquals(java.util.Set.of(CHAT, "oc_ops"), alerts.stream().filter(GrantFollowUpTest::revocation)
                .map(SentMessage::chatId).collect(java.util.stream.Collectors.toSet()), "the chat that asked, and the ops chat");
        assertTrue(alerts.stream().filter(GrantFollowUpTest::revocation).allMatch(s -> s.content().toString().contains("contact&#58;user.base&#58;readonly")));
    }

    @Test
    void a_revoke_with_no_request_being_watched_is_alerted_within_five_minutes() {
        String tenant = platform.config().tenantKey();
        assertTrue(bot.say(CHAT, "permission status").content().toString().contains("im&#58;message"));
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (bot.app.store().grantSnapshot(tenant).isEmpty() && System.nanoTime() < end) BotHarness.sleep(20);
        assertEquals(Boolean.TRUE, bot.app.store().grantSnapshot(tenant).get("im:message"), "the first check is the baseline");
        assertTrue(bot.app.store().openApplyRequests(tenant).isEmpty(), "no request is being watched");

        platform.tenant().revoke("im:message");
        bot.clock.advance(Duration.ofMinutes(5));
        List<SentMessage> alerts = bot.awaitMessages(m -> m.stream().anyMatch(GrantFollowUpTest::revocation));
        SentMessage alert = alerts.stream().filter(GrantFollowUpTest::revocation).findFirst().orElseThrow();
        assertEquals("oc_ops", alert.chatId(), "nobody asked for the scope through the bot: the ops chat is told");
        assertTrue(alert.content().toString().contains("im&#58;message"), alert.content().toString());
    }

    @Test
    void a_revoked_scope_that_a_waiting_application_covers_says_so_and_my_requests_says_rejections_are_not_reported() {
        String tenant = platform.config().tenantKey();
        SentMessage missing = bot.say(CHAT, "missing permissions");
        bot.click(missing, "ou_alice", "apply");
        assertEquals(1, bot.app.store().openApplyRequests(tenant).size());
        String mine = bot.say(CHAT, "my requests").content().toString();
        assertTrue(mine.contains("waiting for the admin") && mine.contains("does not tell me when the admin rejects"), mine);

        // the admin grants one scope of the application in the console, then takes it back
        platform.tenant().grant("approval:approval");
        bot.clock.advance(Duration.ofSeconds(61));
        bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.REPLY && missing.messageId().equals(s.parentId())
                && title(s.content()).contains("granted")));
        platform.tenant().revoke("approval:approval");
        bot.clock.advance(Duration.ofSeconds(61));
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(s -> revocation(s) && CHAT.equals(s.chatId())));
        SentMessage alert = said.stream().filter(s -> revocation(s) && CHAT.equals(s.chatId())).findFirst().orElseThrow();
        String card = alert.content().toString();
        assertTrue(card.contains("An application covering them is already waiting for the admin"), card);
        assertTrue(CardJson.button(alert.content(), "apply") != null && card.contains("Apply anyway"), card);

        JsonNode again = bot.click(alert, "ou_alice", "apply").path("card").path("data");
        assertTrue(again.toString().contains("212004"), "while it waits, applying again is answered 'already waiting': " + again);
        assertEquals(1, platform.appliesUsed(), "and uses nothing");
    }

    @Test
    void a_grant_seen_during_an_outage_is_told_once_the_platform_is_back() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        bot.click(missing, "ou_alice", "apply");
        BotHarness.sleep(1500);
        platform.tenant().grantAll();
        // messages fail from now on (5xx), while the scopes list still answers
        platform.faults().serverError("/open-apis/im/", 100_000);
        bot.clock.advance(Duration.ofSeconds(61));
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!bot.app.store().openApplyRequests(platform.config().tenantKey()).isEmpty() && System.nanoTime() < end) BotHarness.sleep(20);
        assertTrue(bot.app.store().openApplyRequests(platform.config().tenantKey()).isEmpty(), "the watcher saw the grant");
        assertEquals(3, bot.app.store().outboxDepth(), "the card update, the reply and the admins' card update are owed");
        BotHarness.sleep(1000);
        assertTrue(platform.messages().stream().noneMatch(s -> missing.messageId().equals(s.parentId())), "nothing got through yet");

        platform.faults().clear();
        List<SentMessage> said = bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.REPLY
                && missing.messageId().equals(s.parentId())));
        BotHarness.sleep(1000);
        said = platform.messages();
        assertEquals(1, said.stream().filter(s -> s.kind() == SentMessage.Kind.REPLY && missing.messageId().equals(s.parentId())).count(),
                "one granted notice");
        assertTrue(said.stream().anyMatch(s -> s.kind() == SentMessage.Kind.PATCH && s.messageId().equals(missing.messageId())
                && s.content().toString().contains("granted")));
        assertTrue(said.stream().anyMatch(s -> s.kind() == SentMessage.Kind.PATCH && s.content().toString().contains("Granted by")),
                "the admins' card in oc_ops follows");
        assertEquals(0, bot.app.store().outboxDepth());
    }
}
