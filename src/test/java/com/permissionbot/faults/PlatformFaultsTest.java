package com.permissionbot.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.InboxRow;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The platform failing while the bot replies and applies, through the emulator's fault switches: HTTP 500, 429 with
 * its reset header, and latency beyond the bot's read timeout (500 ms here). Asserted: retries are bounded and back
 * off, the user gets a card that says what happened (with code and log_id), one click never applies twice, and a
 * message that was acknowledged gets exactly one reply.
 */
class PlatformFaultsTest {
    /**
     * Short timeouts so that a slow platform is a timeout, no cooldown between two applies, and the outbox's first wait
     * at 400 ms (doubling), so that its repeats are seen within a test.
     */
    static final String CONFIG = "feishu:\n  timeouts:\n    read_ms: 500\n    call_ms: 1500\napply:\n  cooldown_seconds: 0\n"
            + "retry:\n  outbox_first_ms: 400\n";
    /** Replies (and card updates) to user messages, whose ids start with om_. */
    static final String REPLIES = "/open-apis/im/v1/messages/om_";
    static final String REPLY_ENDPOINT = "/open-apis/im/v1/messages/{message_id}/reply";
    static final String APPLY = "/open-apis/application/v6/scopes/apply";
    static final String SCOPES = "/open-apis/application/v6/scopes";
    static final String CHAT = "oc_p2p_alice";
    /** The emulator's log_id: Beijing time to the second and 17 hex digits. */
    static final Pattern LOG_ID = Pattern.compile("log_id \\d{14}[0-9A-F]{17}");

    @TempDir
    Path dir;
    PlatformEmulator platform;
    BotHarness bot;

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start();
        bot = BotHarness.start(dir, platform, CONFIG);
        // a first exchange so that the token and the app version are known before any fault is switched on
        bot.say("oc_warm_up", "help");
        platform.clearMessages();
        platform.resetCalls();
    }

    @AfterEach
    void stop() {
        bot.close();
        platform.close();
    }

    // ---- replies ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_few_5xx_on_replies_are_retried_with_backoff_and_each_message_gets_one_reply() {
        platform.faults().serverError(REPLIES, 3);
        long t = System.nanoTime();
        String mid = send("oc_5xx_single");
        List<SentMessage> said = awaitReplies(List.of(mid));
        long ms = (System.nanoTime() - t) / 1_000_000;
        System.out.printf("reply after 3 x HTTP 500: %d ms, %d successful call(s)%n", ms, platform.calls("POST", REPLY_ENDPOINT));
        assertEquals(1, platform.calls("POST", REPLY_ENDPOINT), "three failed attempts, then one that got through");
        assertTrue(platform.faults().failures().isEmpty(), "all three failures were used");
        assertTrue(ms >= 300 + 600 + 900, "the retries back off (300, 600, 900 ms): " + ms + " ms");
        assertEquals(1, said.size());

        // four messages at once against six failures: each still gets exactly one reply
        platform.clearMessages();
        platform.faults().serverError(REPLIES, 6);
        List<String> mids = new ArrayList<>();
        for (int i = 0; i < 4; i++) mids.add(send("oc_5xx_" + i));
        awaitReplies(mids);
        quietly();
        assertOneReplyEach(mids);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void replies_that_time_out_are_retried_with_the_same_uuid_and_land_once() {
        // each attempt waits 800 ms on the platform, beyond the 500 ms read timeout; the platform still acts on it
        platform.faults().delay(REPLIES, Duration.ofMillis(800));
        List<String> mids = new ArrayList<>();
        for (int i = 0; i < 3; i++) mids.add(send("oc_timeout_" + i));
        waitUntil(Duration.ofSeconds(15), () -> platform.calls("POST", REPLY_ENDPOINT) >= 12);
        assertTrue(platform.calls("POST", REPLY_ENDPOINT) >= 12, "four quick calls per message, then the outbox's");
        platform.faults().delay(REPLIES, Duration.ZERO);
        waitUntil(Duration.ofSeconds(15), () -> bot.app.store().outboxDepth() == 0);
        quietly();
        assertOneReplyEach(mids);
        for (SentMessage s : platform.messages()) assertTrue(s.uuid() != null && s.uuid().startsWith("pb-"), "reply uuid " + s.uuid());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_429_with_a_short_reset_is_waited_out_once() {
        platform.faults().rateLimit(REPLIES, 1, 1);
        long t = System.nanoTime();
        String mid = send("oc_429_short");
        awaitReplies(List.of(mid));
        long ms = (System.nanoTime() - t) / 1_000_000;
        System.out.printf("reply after a 429 with a 1 s reset: %d ms%n", ms);
        assertTrue(ms >= 1000, "waited for the reset: " + ms + " ms");
        assertEquals(1, platform.calls("POST", REPLY_ENDPOINT));
        quietly();
        assertOneReplyEach(List.of(mid));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void during_a_reply_outage_the_bot_tries_four_times_then_the_outbox_keeps_trying_with_growing_pauses() {
        platform.faults().serverError(REPLIES, FaultProbe.ARMED);
        String mid = send("oc_outage_backoff");
        // when each attempt reached the platform, read off the switch every 10 ms
        List<Long> at = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(7).toNanos();
        while (System.nanoTime() < end) {
            int used = FaultProbe.used(platform, REPLIES);
            while (at.size() < used) at.add(System.nanoTime() / 1_000_000);
            BotHarness.sleep(10);
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < at.size(); i++) gaps.add(at.get(i) - at.get(i - 1));
        System.out.printf("reply outage: %d attempts in 7 s, pauses %s ms%n", at.size(), gaps);
        assertTrue(at.size() >= 7 && at.size() <= 9, "four quick calls, then the outbox's repeats: " + gaps);
        for (int i = 0; i < 3; i++) {
            long planned = 300L << i;
            assertTrue(gaps.get(i) >= planned - 30, "quick pause " + (i + 1) + " is about " + planned + " ms: " + gaps);
        }
        for (int i = 4; i < gaps.size(); i++) {
            assertTrue(gaps.get(i) >= gaps.get(i - 1) - 50, "the outbox backs off: " + gaps);
        }
        FaultProbe.disarm(platform, REPLIES);
        awaitReplies(List.of(mid));
        quietly();
        assertOneReplyEach(List.of(mid));
    }

    /**
     * A platform outage longer than the quick repeats of a reply (four calls over about 2 s): the reply waits in the
     * outbox, and the acknowledged messages get their replies once the platform is back, each exactly once.
     */
    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void an_outage_longer_than_the_quick_repeats_does_not_lose_acknowledged_messages() {
        platform.faults().serverError(REPLIES, FaultProbe.ARMED);
        List<String> mids = new ArrayList<>();
        for (int i = 0; i < 3; i++) mids.add(send("oc_outage_" + i));
        waitUntil(Duration.ofSeconds(10), () -> FaultProbe.used(platform, REPLIES) >= 15);
        int attempts = FaultProbe.used(platform, REPLIES);
        System.out.printf("during a reply outage: %d attempts for %d messages; outbox depth %d%n", attempts, mids.size(),
                bot.app.store().outboxDepth());
        assertEquals(3, bot.app.store().outboxDepth(), "each reply is kept in the outbox");
        for (String m : mids) assertEquals(InboxRow.DONE, bot.app.store().inboxFind("msg:" + m).orElseThrow().status(),
                "the message was handled once; only its reply waits");

        FaultProbe.disarm(platform, REPLIES);
        waitUntil(Duration.ofSeconds(20), () -> replyCount(mids) == mids.size());
        quietly();
        assertOneReplyEach(mids);
        assertEquals(0, bot.app.store().outboxDepth());
    }

    /**
     * The platform rate-limits replies with a reset (4 s) longer than the bot waits inline (rate_limit_max_wait_ms,
     * 1.5 s): calls stop for the reset (good), but the messages acknowledged meanwhile must still be answered after it.
     */
    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void a_429_with_a_long_reset_delays_replies_but_loses_none() {
        // the platform refuses replies for 4 s, saying so in x-ogw-ratelimit-reset
        platform.faults().rateLimit(REPLIES, FaultProbe.ARMED, 4);
        long t = System.nanoTime();
        List<String> mids = new ArrayList<>();
        for (int i = 0; i < 3; i++) mids.add(send("oc_429_long_" + i));
        BotHarness.sleep(Math.max(0, 4000 - (System.nanoTime() - t) / 1_000_000));
        int refused = FaultProbe.used(platform, REPLIES);
        FaultProbe.disarm(platform, REPLIES);
        System.out.printf("during a 4 s rate limit: %d call(s) reached the platform for %d messages%n", refused, mids.size());
        assertTrue(refused <= mids.size(), "the bot waits for the reset instead of calling again: " + refused + " calls");
        waitUntil(Duration.ofSeconds(20), () -> replyCount(mids) == mids.size());
        quietly();
        assertOneReplyEach(mids);
    }

    // ---- applies ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_5xx_on_apply_shows_the_uncertain_card_and_repeating_the_click_applies_nothing() throws Exception {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        platform.faults().serverError(APPLY, FaultProbe.ARMED);
        JsonNode answer = bot.click(missing, "ou_alice", "apply");
        JsonNode card = cardOf(answer);
        assertEquals("Not sure Feishu received the request", title(card), card.toString());
        assertTrue(card.toString().contains("Code 5000"), card.toString());
        assertTrue(LOG_ID.matcher(card.toString()).find(), "the platform's log_id is on the card: " + card);
        assertTrue(CardJson.button(card, "apply") != null, "an uncertain outcome offers a retry");
        assertEquals(1, FaultProbe.used(platform, APPLY), "one apply call, not retried behind the user's back");

        // the same click again, and four at once: answered from the first, never sent again
        JsonNode again = bot.click(missing, "ou_alice", "apply");
        assertEquals("This click was already handled.", again.path("toast").path("i18n").path("en_us").asText());
        assertEquals(card, cardOf(again));
        List<CompletableFuture<JsonNode>> racing = new ArrayList<>();
        for (int i = 0; i < 4; i++) racing.add(CompletableFuture.supplyAsync(() -> bot.click(missing, "ou_alice", "apply")));
        for (var f : racing) f.get(10, TimeUnit.SECONDS);
        assertEquals(1, FaultProbe.used(platform, APPLY) + platform.applyCalls(), "still one apply for one click");
        assertEquals(0, platform.appliesUsed());

        // Retry on the card is a new click; with the platform back it goes through, once
        FaultProbe.disarm(platform, APPLY);
        JsonNode retried = cardOf(bot.click(new SentMessage(SentMessage.Kind.REPLY, missing.messageId(), CHAT, null,
                "interactive", card, null, false, null), "ou_alice", "apply"));
        assertTrue(retried.toString().contains("1/10"), retried.toString());
        assertEquals(1, platform.applyCalls());
        assertEquals(1, platform.appliesUsed());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_429_on_apply_shows_the_rate_limited_card_and_the_bot_waits_out_the_reset() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        platform.faults().rateLimit(APPLY, 1, 30);
        JsonNode card = cardOf(bot.click(missing, "ou_alice", "apply"));
        assertEquals("Too many requests", title(card), card.toString());
        assertTrue(card.toString().contains("99991400"), card.toString());
        assertTrue(card.toString().contains("30"), "the wait is shown: " + card);
        assertTrue(LOG_ID.matcher(card.toString()).find(), "the platform's log_id is on the card: " + card);
        assertEquals(0, platform.applyCalls());
        assertTrue(platform.faults().failures().isEmpty(), "exactly one call was answered 429");

        // the same click again: answered from the first; a new click within the reset: not sent either
        assertEquals("This click was already handled.", bot.click(missing, "ou_alice", "apply").path("toast").path("i18n")
                .path("en_us").asText());
        JsonNode fresh = cardOf(bot.click(bot.say(CHAT, "missing permissions"), "ou_alice", "apply"));
        assertEquals("Too many requests", title(fresh), fresh.toString());
        assertEquals(0, platform.applyCalls(), "no call while the platform's reset runs");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_429_on_apply_with_a_short_reset_is_shown_and_not_repeated_behind_the_users_back() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        platform.faults().rateLimit(APPLY, 1, 1);
        JsonNode card = cardOf(bot.click(missing, "ou_alice", "apply"));
        assertEquals("Too many requests", title(card), card.toString());
        assertEquals(0, platform.applyCalls(), "the one call was refused before it counted, and not repeated");
        assertEquals(0, platform.appliesUsed());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void an_apply_that_times_out_is_uncertain_and_its_retry_spends_nothing_more() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        // beyond the 500 ms read timeout: the bot gives up, the platform applies anyway
        platform.faults().delay(APPLY, Duration.ofMillis(1200));
        JsonNode card = cardOf(bot.click(missing, "ou_alice", "apply"));
        assertEquals("Not sure Feishu received the request", title(card), card.toString());
        waitUntil(Duration.ofSeconds(5), () -> platform.applyCalls() == 1);
        BotHarness.sleep(300);
        assertEquals(1, platform.applyCalls(), "the timed-out call is not repeated behind the user's back");
        assertEquals(1, platform.appliesUsed(), "the platform did apply");

        assertEquals("This click was already handled.", bot.click(missing, "ou_alice", "apply").path("toast").path("i18n")
                .path("en_us").asText());
        assertEquals(1, platform.applyCalls());

        // Retry (a new click) with the platform fast again: the pending application makes it a 212004, nothing spent
        platform.faults().delay(APPLY, Duration.ZERO);
        JsonNode retried = cardOf(bot.click(new SentMessage(SentMessage.Kind.REPLY, missing.messageId(), CHAT, null,
                "interactive", card, null, false, null), "ou_alice", "apply"));
        assertTrue(retried.toString().contains("212004"), retried.toString());
        assertEquals(2, platform.applyCalls(), "one apply call per click");
        assertEquals(1, platform.appliesUsed(), "the quota was spent once");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_click_whose_callback_times_out_and_is_clicked_again_applies_once() throws Exception {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        Map<String, String> value = CardJson.button(missing.content(), "apply");
        platform.faults().delay(APPLY, Duration.ofMillis(450));
        // the platform's callback gives up on the bot before it answers (a 200 ms client timeout here)
        String body = clickBody(missing.messageId(), value);
        try {
            postSigned("/webhook/card", body, Duration.ofMillis(200));
            throw new AssertionError("the click was expected to time out at the client");
        } catch (HttpTimeoutException expected) {
            // the bot goes on with the click
        }
        // clicked again at once, and three times together, while the first is still with the platform
        List<CompletableFuture<HttpResponse<String>>> again = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            again.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return postSigned("/webhook/card", clickBody(missing.messageId(), value), Duration.ofSeconds(10));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (var f : again) {
            HttpResponse<String> r = f.get(15, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            String en = BotHarness.json(r.body()).path("toast").path("i18n").path("en_us").asText();
            assertTrue(en.equals("Your previous click is still being handled; one moment.") || en.equals("This click was already handled."), en);
        }
        waitUntil(Duration.ofSeconds(5), () -> platform.applyCalls() >= 1);
        BotHarness.sleep(500);
        JsonNode later = bot.click(missing, "ou_alice", "apply");
        assertEquals("This click was already handled.", later.path("toast").path("i18n").path("en_us").asText());
        assertTrue(cardOf(later).toString().contains("1/10"), "the repeat shows the outcome: " + later);
        assertEquals(1, platform.applyCalls());
        assertEquals(1, platform.appliesUsed());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void a_5xx_on_the_scopes_list_before_apply_sends_no_apply() {
        SentMessage missing = bot.say(CHAT, "missing permissions");
        platform.faults().serverError(SCOPES, FaultProbe.ARMED);
        JsonNode card = finalCard(missing, cardOf(bot.click(missing, "ou_alice", "apply")));
        assertEquals("The application was not sent", title(card), card.toString());
        assertTrue(card.toString().contains("5000"), card.toString());
        assertTrue(LOG_ID.matcher(card.toString()).find(), card.toString());
        assertEquals(RetryPolicy.CALLS, FaultProbe.used(platform, SCOPES), "the read was repeated; no apply call after it failed");
        assertEquals(0, platform.applyCalls());
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /** A user message in its own chat (the platform allows 5 bot messages per second per chat), acknowledged. */
    private String send(String chat) {
        String mid = bot.userMessage(chat);
        assertEquals(200, bot.push("/webhook/event", Events.p2p("ev-" + mid, mid, "help")).statusCode(), "acknowledged");
        return mid;
    }

    private List<SentMessage> awaitReplies(List<String> mids) {
        return bot.awaitMessages(m -> m.stream().map(SentMessage::parentId).collect(Collectors.toSet()).containsAll(mids));
    }

    private long replyCount(List<String> mids) {
        return platform.messages().stream().filter(s -> mids.contains(s.parentId())).map(SentMessage::parentId).distinct().count();
    }

    /** Every message got exactly one reply, and the bot said nothing else. */
    private void assertOneReplyEach(List<String> mids) {
        Map<String, Long> replies = platform.messages().stream()
                .collect(Collectors.groupingBy(s -> s.kind() + " " + s.parentId(), java.util.TreeMap::new, Collectors.counting()));
        Map<String, Long> want = mids.stream().collect(Collectors.toMap(m -> "REPLY " + m, m -> 1L, (a, b) -> a, java.util.TreeMap::new));
        assertEquals(want, replies, "replies per message");
    }

    private static void quietly() {
        BotHarness.sleep(1500);
    }

    /** Waits for {@code done}; fails the test if it is not true within {@code max}. */
    static void waitUntil(Duration max, BooleanSupplier done) {
        long end = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not true within " + max);
            BotHarness.sleep(50);
        }
    }

    /** The clicked card as it ends: the callback's card, or, after "working", the update that replaced it. */
    private JsonNode finalCard(SentMessage clicked, JsonNode answered) {
        if (!title(answered).equals("Asking Feishu…")) return answered;
        return bot.awaitMessages(m -> m.stream().anyMatch(s -> s.kind() == SentMessage.Kind.PATCH
                && s.messageId().equals(clicked.messageId()))).stream()
                .filter(s -> s.kind() == SentMessage.Kind.PATCH && s.messageId().equals(clicked.messageId()))
                .reduce((a, b) -> b).orElseThrow().content();
    }

    private static JsonNode cardOf(JsonNode answer) {
        return answer.path("card").path("data");
    }

    private static String title(JsonNode card) {
        return card.path("header").path("title").path("i18n_content").path("en_us").asText();
    }

    private static String clickBody(String messageId, Map<String, String> value) {
        List<String> kv = new ArrayList<>();
        value.forEach((k, v) -> {
            kv.add(k);
            kv.add(v);
        });
        return Events.click("ev-click-" + UUID.randomUUID(), messageId, "ou_alice", kv.toArray(new String[0]));
    }

    private HttpResponse<String> postSigned(String path, String plain, Duration timeout) throws Exception {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = UUID.randomUUID().toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(bot.url(path))).timeout(timeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("X-Lark-Request-Timestamp", ts).header("X-Lark-Request-Nonce", nonce)
                .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
}
