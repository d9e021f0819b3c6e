package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.WebhookStub.Answer;
import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Event and callback delivery as the platform does it: crypto, deadline, retry schedule, no callback retries, duplicates. */
class EventPusherTest {

    static final String KEY = "pusher-test-key";
    static final String TOKEN = "pusher-test-token";
    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");
    static final String CARD = "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":["
            + "{\"tag\":\"button\",\"text\":{\"tag\":\"plain_text\",\"content\":\"Apply\"},"
            + "\"behaviors\":[{\"type\":\"callback\",\"value\":{\"action\":\"apply\"}}]}]}}";
    /** 15 s becomes 0.15 ms and 6 h 216 ms. */
    static final EventPusher.Settings FAST = EventPusher.Settings.platform().compressed(100_000);

    MutableClock clock = new MutableClock(Instant.parse("2026-03-02T08:00:00Z"));
    Harness h;
    WebhookStub stub;
    EventPusher pusher;

    void start(EventPusher.Settings settings) throws Exception {
        h = Harness.start(EmulatorConfig.defaults().withClock(clock).withTokenTtlSeconds(90L * 24 * 3600));
        stub = new WebhookStub(KEY);
        pusher = new EventPusher(h.emulator, stub.base(), TOKEN, KEY, settings);
    }

    @AfterEach
    void stop() {
        if (pusher != null) pusher.close();
        if (stub != null) stub.close();
        if (h != null) h.close();
    }

    private ImMessage botCard() {
        ImMessage question = h.emulator.im().addUserMessage("oc_chat", ALICE.openId(), "text", PlatformEvents.textContent("hi"));
        return h.emulator.im().reply(question.messageId(), "interactive", CARD, false, null);
    }

    private static JsonNode value() {
        return Envelope.object().put("action", "apply").put("nonce", "n1");
    }

    @Test
    void the_platform_timing_is_a_2s_connect_timeout_a_3s_deadline_and_retries_after_15s_5min_1h_6h() {
        EventPusher.Settings s = EventPusher.Settings.platform();
        assertEquals(Duration.ofSeconds(2), s.connectTimeout());
        assertEquals(Duration.ofSeconds(3), s.deadline());
        assertEquals(1, s.timeCompression());
        assertEquals(List.of(Duration.ofSeconds(15), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(6)),
                EventPusher.RETRY_SCHEDULE);
    }

    @Test
    void an_event_is_encrypted_and_signed_like_the_platform_does() throws Exception {
        start(FAST);
        EventPusher.Said said = pusher.say("oc_chat", "p2p", ALICE, "missing permissions");
        assertTrue(said.delivery().done().get(5, TimeUnit.SECONDS));

        WebhookStub.Received r = stub.await(1).get(0);
        assertEquals("/webhook/event", r.path());
        assertTrue(r.signatureOk(), "X-Lark-Signature is sha256(ts + nonce + key + body)");
        assertTrue(r.raw().startsWith("{\"encrypt\":\""), r.raw());
        assertTrue(r.headers().get("ts").matches("\\d{10}"), "the timestamp is in seconds: " + r.headers());
        JsonNode ev = r.event();
        assertEquals("2.0", ev.path("schema").asText());
        assertEquals("im.message.receive_v1", ev.path("header").path("event_type").asText());
        assertEquals(TOKEN, ev.path("header").path("token").asText());
        assertEquals(h.emulator.config().appId(), ev.path("header").path("app_id").asText());
        assertEquals(said.message().messageId(), ev.path("event").path("message").path("message_id").asText());
        assertEquals("{\"text\":\"missing permissions\"}", ev.path("event").path("message").path("content").asText());
        assertEquals("ou_alice", ev.path("event").path("sender").path("sender_id").path("open_id").asText());
        assertTrue(h.emulator.im().find(said.message().messageId()).isPresent(), "the bot can reply to the message");
    }

    @Test
    void a_failing_event_is_retried_on_the_platform_schedule_at_most_four_times() throws Exception {
        start(FAST);
        stub.answering(n -> Answer.status(500));
        EventPusher.Delivery d = pusher.botAdded("oc_group", "Group", ALICE);

        assertFalse(d.done().get(10, TimeUnit.SECONDS), "the platform gives up after the 4th retry");
        List<EventPusher.Attempt> attempts = d.attempts();
        assertEquals(5, attempts.size(), attempts.toString());
        assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(15), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(6)),
                attempts.stream().map(EventPusher.Attempt::after).toList());
        assertTrue(attempts.stream().allMatch(a -> a.status() == 500 && "HTTP 500".equals(a.error())));
        Thread.sleep(300);
        List<WebhookStub.Received> got = stub.received();
        assertEquals(5, got.size());
        assertEquals(Set.of(d.eventId()), got.stream().map(r -> r.event().path("header").path("event_id").asText())
                .collect(Collectors.toSet()), "every retry carries the same event_id");
    }

    @Test
    void retries_stop_at_the_first_200() throws Exception {
        start(FAST);
        stub.answering(n -> n <= 2 ? Answer.status(503) : Answer.ok());
        EventPusher.Delivery d = pusher.botAdded("oc_group", "Group", ALICE);

        assertTrue(d.done().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(503, 503, 200), d.attempts().stream().map(EventPusher.Attempt::status).toList());
        Thread.sleep(300);
        assertEquals(3, stub.received().size());
    }

    @Test
    void an_answer_later_than_the_deadline_counts_as_a_failure_and_is_retried() throws Exception {
        start(FAST.withDeadline(Duration.ofMillis(600)));
        stub.answering(n -> n == 1 ? Answer.slow(2_000) : Answer.ok());
        EventPusher.Delivery d = pusher.botAdded("oc_group", "Group", ALICE);

        assertTrue(d.done().get(10, TimeUnit.SECONDS));
        List<EventPusher.Attempt> a = d.attempts();
        assertEquals(2, a.size(), a.toString());
        assertEquals(0, a.get(0).status());
        assertTrue(a.get(0).error().contains("no answer within 600 ms"), a.get(0).error());
        assertTrue(a.get(0).millis() < 1_500, "the pusher stops waiting at the deadline: " + a.get(0).millis());
        assertEquals(200, a.get(1).status());
    }

    @Test
    void an_unreachable_webhook_is_retried_too() throws Exception {
        start(FAST);
        stub.close();
        EventPusher.Delivery d = pusher.botAdded("oc_group", "Group", ALICE);
        assertFalse(d.done().get(10, TimeUnit.SECONDS));
        assertEquals(5, d.attempts().size());
        assertTrue(d.attempts().get(0).error().startsWith("cannot connect"), d.attempts().get(0).error());
        stub = null;
    }

    @Test
    void without_the_duplicates_switch_an_event_arrives_once() throws Exception {
        start(FAST);
        EventPusher.Said said = pusher.say("oc_chat", "p2p", ALICE, "quota");
        assertTrue(said.delivery().done().get(5, TimeUnit.SECONDS));
        Thread.sleep(600);
        assertEquals(1, stub.received().size());
    }

    @Test
    void the_duplicates_switch_resends_after_a_200_and_repushes_a_message_under_a_new_event_id() throws Exception {
        start(FAST);
        pusher.setDuplicates(true);
        EventPusher.Said said = pusher.say("oc_chat", "p2p", ALICE, "quota");

        List<WebhookStub.Received> got = stub.await(3);
        Thread.sleep(300);
        got = stub.received();
        assertEquals(3, got.size(), "original, same event again, message under a new event id");
        List<String> eventIds = got.stream().map(r -> r.event().path("header").path("event_id").asText()).toList();
        List<String> messageIds = got.stream().map(r -> r.event().path("event").path("message").path("message_id").asText()).toList();
        assertEquals(2, eventIds.stream().filter(said.delivery().eventId()::equals).count(), eventIds.toString());
        assertEquals(2, Set.copyOf(eventIds).size());
        assertEquals(Set.of(said.message().messageId()), Set.copyOf(messageIds));
        assertTrue(got.stream().allMatch(WebhookStub.Received::signatureOk));
        assertEquals(Set.of(EventPusher.Kind.ORIGINAL, EventPusher.Kind.DUPLICATE, EventPusher.Kind.REPUSH),
                pusher.recent().stream().map(EventPusher.Delivery::kind).collect(Collectors.toSet()));
    }

    @Test
    void other_events_are_duplicated_under_the_same_event_id_only() throws Exception {
        start(FAST);
        pusher.setDuplicates(true);
        EventPusher.Delivery d = pusher.botAdded("oc_group", "Group", ALICE);
        stub.await(2);
        Thread.sleep(500);
        List<WebhookStub.Received> got = stub.received();
        assertEquals(2, got.size());
        assertTrue(got.stream().allMatch(r -> d.eventId().equals(r.event().path("header").path("event_id").asText())));
    }

    @Test
    void a_card_callback_is_encrypted_signed_and_carries_the_button_value_message_and_a_c_token() throws Exception {
        start(FAST);
        ImMessage card = botCard();
        String answer = "{\"toast\":{\"type\":\"success\",\"content\":\"ok\"},\"card\":{\"type\":\"raw\",\"data\":"
                + "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[{\"tag\":\"markdown\",\"content\":\"done\"}]}}}}";
        stub.answering(n -> Answer.json(answer));

        EventPusher.CallbackResult r = pusher.click(card.messageId(), ALICE, value(), "apply");
        assertTrue(r.ok(), r.toString());
        assertEquals("success", r.toast().path("type").asText());
        assertTrue(r.cardApplied());
        assertTrue(h.emulator.im().find(card.messageId()).orElseThrow().content().contains("done"),
                "the answer's card replaces the clicked card");

        WebhookStub.Received got = stub.received().get(0);
        assertEquals("/webhook/card", got.path());
        assertTrue(got.signatureOk());
        JsonNode ev = got.event();
        assertEquals("card.action.trigger", ev.path("header").path("event_type").asText());
        assertEquals(16, ev.path("header").path("create_time").asText().length(), "microseconds");
        assertEquals("apply", ev.path("event").path("action").path("value").path("action").asText());
        assertEquals("n1", ev.path("event").path("action").path("value").path("nonce").asText());
        assertEquals(card.messageId(), ev.path("event").path("context").path("open_message_id").asText());
        assertEquals("oc_chat", ev.path("event").path("context").path("open_chat_id").asText());
        assertEquals("ou_alice", ev.path("event").path("operator").path("open_id").asText());
        assertTrue(ev.path("event").path("token").asText().startsWith("c-"));
        assertEquals(r.token(), ev.path("event").path("token").asText());
    }

    @Test
    void a_failed_card_callback_is_never_retried_and_shows_the_client_code() throws Exception {
        start(FAST);
        ImMessage card = botCard();
        stub.answering(n -> Answer.status(500));

        EventPusher.CallbackResult r = pusher.click(card.messageId(), ALICE, value(), null);
        assertFalse(r.ok());
        assertEquals(EventPusher.CALLBACK_NOT_200, r.clientCode());
        assertEquals(500, r.status());
        Thread.sleep(500);
        assertEquals(1, stub.received().size(), "callbacks are not retried");
        assertEquals(CARD, h.emulator.im().find(card.messageId()).orElseThrow().content());
    }

    @Test
    void a_card_callback_over_the_deadline_is_200341() throws Exception {
        start(FAST.withDeadline(Duration.ofMillis(300)));
        ImMessage card = botCard();
        stub.answering(n -> Answer.slow(1_000));

        long t = System.nanoTime();
        EventPusher.CallbackResult r = pusher.click(card.messageId(), ALICE, value(), null);
        assertEquals(EventPusher.CALLBACK_TIMEOUT, r.clientCode());
        assertTrue((System.nanoTime() - t) / 1_000_000 < 900);
        Thread.sleep(1_000);
        assertEquals(1, stub.received().size());
    }

    @Test
    void a_callback_answer_that_is_not_json_is_200672() throws Exception {
        start(FAST);
        ImMessage card = botCard();
        stub.answering(n -> new Answer(200, "not json", 0));
        assertEquals(EventPusher.CALLBACK_BAD_BODY, pusher.click(card.messageId(), ALICE, value(), null).clientCode());
    }

    @Test
    void after_14_days_a_callback_answer_no_longer_updates_the_card_and_after_30_days_clicks_stop() throws Exception {
        start(FAST);
        ImMessage card = botCard();
        stub.answering(n -> Answer.json("{\"card\":{\"type\":\"raw\",\"data\":{\"schema\":\"2.0\",\"body\":{\"elements\":[]}}}}"));

        clock.advance(Duration.ofDays(15));
        EventPusher.CallbackResult r = pusher.click(card.messageId(), ALICE, value(), null);
        assertTrue(r.ok());
        assertFalse(r.cardApplied(), "between day 14 and day 30 the answer's card is ignored");
        assertEquals(CARD, h.emulator.im().find(card.messageId()).orElseThrow().content());

        clock.advance(Duration.ofDays(16));
        EventPusher.CallbackResult late = pusher.click(card.messageId(), ALICE, value(), null);
        assertFalse(late.ok());
        assertTrue(late.clientError().contains("30"), late.clientError());
        assertNull(late.token());
        assertEquals(1, stub.received().size(), "no callback is sent for a card older than 30 days");
    }

    @Test
    void the_url_check_expects_the_challenge_back_in_plain_text() throws Exception {
        start(FAST);
        stub.answering(n -> Answer.json("{\"challenge\":\"" + stub.received().get(n - 1).event().path("challenge").asText() + "\"}"));
        assertTrue(pusher.verifyUrl("/webhook/event"));
        JsonNode challenge = stub.received().get(0).event();
        assertEquals("url_verification", challenge.path("type").asText());
        assertEquals(TOKEN, challenge.path("token").asText());
        stub.answering(n -> Answer.json("{\"challenge\":\"wrong\"}"));
        assertFalse(pusher.verifyUrl("/webhook/event"));
        assertNotEquals(0, stub.received().size());
    }
}
