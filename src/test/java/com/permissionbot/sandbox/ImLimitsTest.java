package com.permissionbot.sandbox;

import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate limits (99991400 with 429, 230020 per chat and per message) and the 14-day update window; see
 * https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control and
 * https://open.feishu.cn/document/server-docs/im-v1/message-card/patch
 */
class ImLimitsTest {

    static final String CARD = "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[]}}";

    MutableClock clock = new MutableClock(Instant.parse("2026-03-02T08:00:00Z"));
    Harness h;
    String token;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(EmulatorConfig.defaults().withClock(clock).withTokenTtlSeconds(90L * 24 * 3600));
        token = h.token();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private HttpResponse<String> raw(String method, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(h.emulator.baseUrl() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Harness.Reply send(String chat) throws Exception {
        String body = Envelope.object().put("receive_id", chat).put("msg_type", "interactive").put("content", CARD).toString();
        return h.call("POST", ImApi.MESSAGES + "?receive_id_type=chat_id", body, token);
    }

    private Harness.Reply patch(String messageId) throws Exception {
        return h.call("PATCH", ImApi.MESSAGES + "/" + messageId, Envelope.object().put("content", CARD).toString(), token);
    }

    @Test
    void the_rate_limit_fault_answers_429_99991400_with_the_ratelimit_headers_then_recovers() throws Exception {
        h.emulator.faults().rateLimit(ApplicationApi.SCOPES, 1, 42);
        HttpResponse<String> r = raw("GET", ApplicationApi.SCOPES, "");
        assertEquals(429, r.statusCode());
        assertEquals(99991400, Envelope.JSON.readTree(r.body()).path("code").asInt());
        assertEquals("request trigger frequency limit", Envelope.JSON.readTree(r.body()).path("msg").asText());
        assertEquals("42", r.headers().firstValue("x-ogw-ratelimit-reset").orElse(null));
        assertEquals("100", r.headers().firstValue("x-ogw-ratelimit-limit").orElse(null));
        assertTrue(r.headers().firstValue("X-Tt-Logid").isPresent());
        assertEquals(200, raw("GET", ApplicationApi.SCOPES, "").statusCode(), "only the next call was limited");
    }

    @Test
    void the_sixth_message_within_a_second_to_one_chat_is_230020_with_the_ratelimit_headers() throws Exception {
        for (int i = 0; i < MessageStore.CHAT_QPS; i++) {
            assertEquals(0, send("oc_busy").body().path("code").asInt());
        }
        String body = Envelope.object().put("receive_id", "oc_busy").put("msg_type", "interactive").put("content", CARD).toString();
        HttpResponse<String> r = raw("POST", ImApi.MESSAGES + "?receive_id_type=chat_id", body);
        assertEquals(400, r.statusCode());
        assertEquals(230020, Envelope.JSON.readTree(r.body()).path("code").asInt());
        assertEquals("5", r.headers().firstValue("x-ogw-ratelimit-limit").orElse(null));
        assertEquals("1", r.headers().firstValue("x-ogw-ratelimit-reset").orElse(null));

        assertEquals(0, send("oc_quiet").body().path("code").asInt(), "another chat has its own budget");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(0, send("oc_busy").body().path("code").asInt(), "a second later the chat may be written to again");
    }

    @Test
    void replies_count_against_the_chat_limit_too() throws Exception {
        ImMessage q = h.emulator.im().addUserMessage("oc_replies", "ou_alice", "text", PlatformEvents.textContent("hi"));
        String body = Envelope.object().put("msg_type", "interactive").put("content", CARD).toString();
        for (int i = 0; i < MessageStore.CHAT_QPS; i++) {
            assertEquals(0, h.call("POST", "/open-apis/im/v1/messages/" + q.messageId() + "/reply", body, token).body().path("code").asInt());
        }
        assertEquals(230020, h.call("POST", "/open-apis/im/v1/messages/" + q.messageId() + "/reply", body, token).body().path("code").asInt());
    }

    @Test
    void a_card_may_be_updated_at_most_5_times_per_second() throws Exception {
        String id = send("oc_patch").body().path("data").path("message_id").asText();
        for (int i = 0; i < MessageStore.PATCH_QPS; i++) {
            assertEquals(0, patch(id).body().path("code").asInt());
        }
        assertEquals(230020, patch(id).body().path("code").asInt());
        clock.advance(Duration.ofMillis(1_001));
        assertEquals(0, patch(id).body().path("code").asInt());
    }

    @Test
    void a_card_older_than_14_days_cannot_be_updated_230031() throws Exception {
        String id = send("oc_old").body().path("data").path("message_id").asText();
        clock.advance(Duration.ofDays(14));
        assertEquals(0, patch(id).body().path("code").asInt(), "day 14 is still inside the window");
        clock.advance(Duration.ofMinutes(1));
        Harness.Reply r = patch(id);
        assertEquals(400, r.status());
        assertEquals(230031, r.body().path("code").asInt());
    }
}
