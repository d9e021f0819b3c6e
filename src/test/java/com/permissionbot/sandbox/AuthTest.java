package com.permissionbot.sandbox;

import com.lark.oapi.service.application.v6.model.ListScopeResp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-22T01:52:30Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private Harness h;

    @BeforeEach
    void start() {
        h = Harness.start();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private String credentials(String secret) {
        return "{\"app_id\":\"" + h.emulator.config().appId() + "\",\"app_secret\":\"" + secret + "\"}";
    }

    @Test
    void tenant_token_fields_sit_at_the_top_level() throws Exception {
        Harness.Reply r = h.call("POST", AuthApi.TENANT_TOKEN, credentials(h.emulator.config().appSecret()), null);
        assertEquals(200, r.status());
        assertEquals(0, r.body().get("code").asInt());
        assertEquals("ok", r.body().get("msg").asText());
        assertTrue(r.body().get("tenant_access_token").asText().startsWith("t-"));
        assertEquals(7200, r.body().get("expire").asInt());
        assertFalse(r.body().has("data"));
    }

    @Test
    void app_token_endpoint_also_returns_a_tenant_token() throws Exception {
        Harness.Reply r = h.call("POST", AuthApi.APP_TOKEN, credentials(h.emulator.config().appSecret()), null);
        assertTrue(r.body().get("app_access_token").asText().startsWith("t-"));
        assertTrue(r.body().get("tenant_access_token").asText().startsWith("t-"));
    }

    @Test
    void a_wrong_secret_is_refused_with_10014() throws Exception {
        Harness.Reply r = h.call("POST", AuthApi.TENANT_TOKEN, credentials("nope"), null);
        assertEquals(400, r.status());
        assertEquals(10014, r.body().get("code").asInt());
        assertEquals("app secret invalid", r.body().get("msg").asText());
    }

    @Test
    void a_missing_token_is_99991661() throws Exception {
        Harness.Reply r = h.call("GET", ApplicationApi.SCOPES, null, null);
        assertEquals(400, r.status());
        assertEquals(99991661, r.body().get("code").asInt());
    }

    @Test
    void an_unknown_token_is_99991663() throws Exception {
        Harness.Reply r = h.call("GET", ApplicationApi.SCOPES, null, "t-deadbeef");
        assertEquals(400, r.status());
        assertEquals(99991663, r.body().get("code").asInt());
        assertEquals(Router.INVALID_TOKEN, r.body().get("msg").asText());
    }

    @Test
    void a_token_without_t_or_u_prefix_is_99991671() throws Exception {
        assertEquals(99991671, h.call("GET", ApplicationApi.SCOPES, null, "x-123").body().get("code").asInt());
    }

    @Test
    void every_response_carries_a_log_id_and_errors_repeat_it_in_the_body() throws Exception {
        Harness.Reply ok = h.call("POST", AuthApi.TENANT_TOKEN, credentials(h.emulator.config().appSecret()), null);
        assertNotNull(ok.logId());
        assertTrue(ok.logId().matches("\\d{14}[0-9A-F]{17}"), ok.logId());
        Harness.Reply err = h.call("GET", ApplicationApi.SCOPES, null, null);
        assertEquals(err.logId(), err.body().get("error").get("log_id").asText());
        assertNotEquals(ok.logId(), err.logId());
    }

    @Test
    void expired_tokens_are_refused_until_a_new_one_is_fetched() throws Exception {
        String token = h.token();
        assertEquals(0, h.call("GET", ApplicationApi.SCOPES, null, token).body().get("code").asInt());
        h.emulator.expireAllTokens();
        assertEquals(99991663, h.call("GET", ApplicationApi.SCOPES, null, token).body().get("code").asInt());
        String fresh = h.token();
        assertNotEquals(token, fresh);
        assertEquals(0, h.call("GET", ApplicationApi.SCOPES, null, fresh).body().get("code").asInt());
    }

    @Test
    void the_sdk_surfaces_99991663_after_expiry_because_it_keeps_its_cached_token() throws Exception {
        assertTrue(h.client.application().v6().scope().list().success());
        h.emulator.expireAllTokens();
        ListScopeResp r = h.client.application().v6().scope().list();
        assertEquals(99991663, r.getCode());
    }

    @Test
    void a_token_is_handed_out_again_while_more_than_thirty_minutes_remain() throws Exception {
        ManualClock clock = new ManualClock();
        try (Harness timed = Harness.start(EmulatorConfig.defaults().withClock(clock))) {
            String first = timed.token();
            clock.advance(Duration.ofMinutes(60));
            assertEquals(first, timed.token());
            clock.advance(Duration.ofMinutes(45));
            String second = timed.token();
            assertNotEquals(first, second);
            assertEquals(0, timed.call("GET", ApplicationApi.SCOPES, null, first).body().get("code").asInt());
            clock.advance(Duration.ofMinutes(16));
            assertEquals(99991663, timed.call("GET", ApplicationApi.SCOPES, null, first).body().get("code").asInt());
            assertEquals(0, timed.call("GET", ApplicationApi.SCOPES, null, second).body().get("code").asInt());
        }
    }

    @Test
    void unknown_paths_answer_the_platforms_404_body() throws Exception {
        Harness.Reply r = h.call("GET", "/open-apis/nothing/here", null, null);
        assertEquals(404, r.status());
        assertEquals(404, r.body().get("code").asInt());
        assertEquals("404 page not found", r.body().get("msg").asText());
        assertNotNull(r.logId());
    }
}
