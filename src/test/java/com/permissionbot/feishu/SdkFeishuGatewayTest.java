package com.permissionbot.feishu;

import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.sandbox.PlatformEmulator;
import io.javalin.Javalin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway's additions to the SDK, against the emulator and a misbehaving stub on loopback. */
class SdkFeishuGatewayTest {
    private Javalin stub;

    @AfterEach
    void stopStub() {
        if (stub != null) stub.stop();
    }

    private static BotConfig.Feishu cfg(String baseUrl, String appId, String secret, String extra) {
        return new ConfigLoader(Map.of("FEISHU_APP_ID", appId, "FEISHU_APP_SECRET", secret, "FEISHU_VERIFICATION_TOKEN", "v",
                "FEISHU_ENCRYPT_KEY", "k", "FEISHU_BASE_URL", baseUrl)).parse(extra).feishu();
    }

    /** A stub platform: a token endpoint that always works, and the given handler for the scopes list. */
    private String stub(io.javalin.http.Handler scopes) {
        stub = Javalin.create(c -> c.showJavalinBanner = false)
                .post("/open-apis/auth/v3/tenant_access_token/internal",
                        ctx -> ctx.json(Map.of("code", 0, "msg", "ok", "tenant_access_token", "t-stub", "expire", 7200)))
                .get("/open-apis/application/v6/scopes", scopes)
                .start("127.0.0.1", 0);
        return "http://127.0.0.1:" + stub.port();
    }

    @Test
    void an_invalidated_token_is_evicted_and_the_call_retried_once() {
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            var c = platform.config();
            var gw = new SdkFeishuGateway(cfg(platform.baseUrl(), c.appId(), c.appSecret(), ""), Clock.systemUTC());
            assertTrue(gw.listScopes().ok());
            platform.expireAllTokens();
            PlatformResult<?> again = gw.listScopes();
            assertTrue(again.ok(), "code " + again.code());
            assertEquals(2, platform.calls("POST", "/open-apis/auth/v3/tenant_access_token/internal"));
        }
    }

    @Test
    void a_wrong_secret_is_the_platforms_code_not_a_lost_call_and_a_fresh_token_reads_the_platforms_clock() {
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            var c = platform.config();
            var wrong = new SdkFeishuGateway(cfg(platform.baseUrl(), c.appId(), "not-the-secret", ""), Clock.systemUTC());
            PlatformResult<?> apply = wrong.applyScopes();
            assertEquals(10014, apply.code(), apply.msg());
            assertTrue(apply.credentialsRefused());
            assertFalse(apply.uncertain(), "the token was refused, so the apply itself never left");
            assertEquals(0, platform.calls("POST", "/open-apis/application/v6/scopes/apply"));
            assertEquals(10014, wrong.freshToken().code());

            var right = new SdkFeishuGateway(cfg(platform.baseUrl(), c.appId(), c.appSecret(), ""), Clock.systemUTC());
            PlatformResult<java.time.Instant> token = right.freshToken();
            assertTrue(token.ok(), "code " + token.code());
            assertNotNull(token.value(), "the Date header");
            assertTrue(Duration.between(token.value(), java.time.Instant.now()).abs().toSeconds() < 5);
        }
    }

    @Test
    void rate_limited_calls_report_the_reset_and_later_calls_wait_without_asking() {
        AtomicInteger calls = new AtomicInteger();
        String url = stub(ctx -> {
            calls.incrementAndGet();
            ctx.status(429).header("x-ogw-ratelimit-limit", "100").header("x-ogw-ratelimit-reset", "30")
                    .header("X-Tt-Logid", "log-429").json(Map.of("code", 99991400, "msg", "request trigger frequency limit"));
        });
        var gw = new SdkFeishuGateway(cfg(url, "cli_ratelimit", "s", ""), Clock.systemUTC());
        PlatformResult<?> first = gw.listScopes();
        assertTrue(first.rateLimited());
        assertEquals(Duration.ofSeconds(30), first.retryAfter());
        assertEquals("log-429", first.logId());
        PlatformResult<?> second = gw.listScopes();
        assertTrue(second.rateLimited());
        assertTrue(second.retryAfter().toSeconds() > 25);
        assertEquals(1, calls.get(), "the second call waits for the reset instead of asking again");
    }

    @Test
    void a_short_rate_limit_is_waited_out_by_the_retry_policy_and_called_once_more() {
        AtomicInteger calls = new AtomicInteger();
        String url = stub(ctx -> {
            if (calls.incrementAndGet() == 1) {
                ctx.status(429).header("x-ogw-ratelimit-reset", "1").json(Map.of("code", 99991400, "msg", "limit"));
            } else {
                ctx.json(Map.of("code", 0, "msg", "success", "data", Map.of("scopes", java.util.List.of(
                        Map.of("scope_name", "im:message", "grant_status", 1)))));
            }
        });
        var gw = new SdkFeishuGateway(cfg(url, "cli_shortlimit", "s", ""), Clock.systemUTC());
        var policy = new RetryPolicy(Backoff.NONE, Duration.ofMillis(1500), RetryPolicy.SLEEP);
        long t = System.nanoTime();
        PlatformResult<java.util.List<ScopeGrant>> r = policy.call("scopes list", gw::listScopes);
        assertTrue((System.nanoTime() - t) / 1_000_000 >= 900, "waited for the 1 s reset");
        assertTrue(r.ok());
        assertEquals(java.util.List.of(new ScopeGrant("im:message", true)), r.value());
        assertEquals(2, calls.get());
    }

    @Test
    void a_platform_that_never_answers_is_cut_off_by_the_read_timeout() {
        String url = stub(ctx -> Thread.sleep(5_000));
        var gw = new SdkFeishuGateway(cfg(url, "cli_slow", "s", "feishu:\n  timeouts:\n    read_ms: 300\n    call_ms: 1000\n"),
                Clock.systemUTC());
        long t = System.nanoTime();
        PlatformResult<?> r = gw.listScopes();
        long ms = (System.nanoTime() - t) / 1_000_000;
        assertEquals(PlatformResult.NETWORK, r.code());
        assertTrue(r.uncertain());
        assertTrue(ms < 2_500, "took " + ms + " ms");
    }

    @Test
    void bot_identity_app_info_and_version_come_from_the_platform() {
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            var c = platform.config();
            var gw = new SdkFeishuGateway(cfg(platform.baseUrl(), c.appId(), c.appSecret(), ""), Clock.systemUTC());
            assertEquals(c.botOpenId(), gw.botIdentity().value().openId());
            platform.tenant().markHighSensitivity("contact:user.phone:readonly");
            AppInfo app = gw.appInfo().value();
            assertEquals(c.appVersionId(), app.onlineVersionId());
            assertEquals(AppInfo.SUPER_LEVEL, app.scopeLevels().get("contact:user.phone:readonly"));
            assertEquals(java.util.List.of("contact:user.phone:readonly"),
                    app.leftOutOfApplications(java.util.List.of("im:message", "contact:user.phone:readonly")));
            assertEquals(new AppVersion(c.appVersion(), c.appVersionId()), gw.appVersion(app.onlineVersionId()).value());
        }
    }
}
