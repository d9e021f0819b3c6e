package com.permissionbot.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Identity of the emulated app and tenant, the platform's clock, and how long the server keeps an idle keep-alive
 * connection open before closing it (Jetty's 30 s by default, as real servers and gateways do).
 */
public record EmulatorConfig(
        String appId,
        String appSecret,
        String tenantKey,
        String botOpenId,
        String botName,
        String appVersion,
        String appVersionId,
        long tokenTtlSeconds,
        Clock clock,
        Duration idleTimeout) {

    public EmulatorConfig {
        Objects.requireNonNull(appId, "appId");
        Objects.requireNonNull(appSecret, "appSecret");
        Objects.requireNonNull(tenantKey, "tenantKey");
        Objects.requireNonNull(botOpenId, "botOpenId");
        Objects.requireNonNull(botName, "botName");
        Objects.requireNonNull(appVersion, "appVersion");
        Objects.requireNonNull(appVersionId, "appVersionId");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (tokenTtlSeconds <= 0) {
            throw new IllegalArgumentException("tokenTtlSeconds must be positive");
        }
    }

    public static EmulatorConfig defaults() {
        return new EmulatorConfig("cli_sandbox", "sandbox-secret", "tenant_sandbox", "ou_bot_sandbox",
                "Permission Bot", "1.0.0", "oav_1", 7200, Clock.systemUTC(), Duration.ofSeconds(30));
    }

    public EmulatorConfig withApp(String id, String secret) {
        return new EmulatorConfig(id, secret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                tokenTtlSeconds, clock, idleTimeout);
    }

    public EmulatorConfig withTokenTtlSeconds(long seconds) {
        return new EmulatorConfig(appId, appSecret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                seconds, clock, idleTimeout);
    }

    public EmulatorConfig withClock(Clock c) {
        return new EmulatorConfig(appId, appSecret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                tokenTtlSeconds, c, idleTimeout);
    }

    /** The server closes keep-alive connections idle this long (tests use about a second). */
    public EmulatorConfig withIdleTimeout(Duration d) {
        return new EmulatorConfig(appId, appSecret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                tokenTtlSeconds, clock, d);
    }
}
