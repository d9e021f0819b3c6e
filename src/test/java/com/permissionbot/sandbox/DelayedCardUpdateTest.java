package com.permissionbot.sandbox;

import com.permissionbot.sandbox.WebhookStub.Answer;
import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /open-apis/interactive/v1/card/update}: the token of a pushed callback, 30 min, at most 2 uses. */
class DelayedCardUpdateTest {

    static final String UPDATED = "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":"
            + "[{\"tag\":\"markdown\",\"content\":\"later\"}]}}";

    MutableClock clock = new MutableClock(Instant.parse("2026-03-02T08:00:00Z"));
    Harness h;
    WebhookStub stub;
    EventPusher pusher;
    ImMessage card;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(EmulatorConfig.defaults().withClock(clock));
        stub = new WebhookStub(EventPusherTest.KEY).answering(n -> Answer.json("{}"));
        pusher = new EventPusher(h.emulator, stub.base(), EventPusherTest.TOKEN, EventPusherTest.KEY, EventPusherTest.FAST);
        ImMessage q = h.emulator.im().addUserMessage("oc_chat", "ou_alice", "text", PlatformEvents.textContent("hi"));
        card = h.emulator.im().reply(q.messageId(), "interactive", EventPusherTest.CARD, false, null);
    }

    @AfterEach
    void stop() {
        pusher.close();
        stub.close();
        h.close();
    }

    private String clickToken() {
        EventPusher.CallbackResult r = pusher.click(card.messageId(), EventPusherTest.ALICE,
                Envelope.object().put("action", "apply"), null);
        assertTrue(r.ok(), r.toString());
        return r.token();
    }

    private Harness.Reply update(String token) throws Exception {
        String body = Envelope.object().put("token", token).set("card", Envelope.JSON.readTree(UPDATED)).toString();
        return h.call("POST", CardApi.DELAYED_UPDATE, body, h.token());
    }

    @Test
    void the_token_of_a_pushed_callback_updates_the_card() throws Exception {
        Harness.Reply r = update(clickToken());
        assertEquals(200, r.status(), r.body().toString());
        assertEquals(0, r.body().path("code").asInt());
        assertEquals(UPDATED, h.emulator.im().find(card.messageId()).orElseThrow().content());
    }

    @Test
    void a_token_works_twice_and_the_third_use_is_300040() throws Exception {
        String token = clickToken();
        assertEquals(0, update(token).body().path("code").asInt());
        assertEquals(0, update(token).body().path("code").asInt());
        Harness.Reply third = update(token);
        assertEquals(400, third.status());
        assertEquals(300040, third.body().path("code").asInt());
        assertTrue(third.body().path("error").path("log_id").asText().length() > 10);
    }

    @Test
    void a_token_older_than_30_minutes_is_300030() throws Exception {
        String token = clickToken();
        clock.advance(Duration.ofMinutes(29));
        assertEquals(0, update(token).body().path("code").asInt());
        clock.advance(Duration.ofMinutes(2));
        assertEquals(300030, update(token).body().path("code").asInt());
    }

    @Test
    void a_token_not_of_the_form_c_dash_is_300020() throws Exception {
        assertEquals(300020, update("t-123456789abcdef").body().path("code").asInt());
        assertEquals(300020, update("").body().path("code").asInt());
    }

    @Test
    void a_well_formed_token_the_platform_never_issued_is_300030() throws Exception {
        assertEquals(300030, update("c-0123456789abcdef0123456789abcdef01234567").body().path("code").asInt());
    }

    @Test
    void the_delayed_update_needs_a_tenant_token() throws Exception {
        String body = Envelope.object().put("token", clickToken()).set("card", Envelope.JSON.readTree(UPDATED)).toString();
        assertEquals(99991661, h.call("POST", CardApi.DELAYED_UPDATE, body, null).body().path("code").asInt());
    }
}
