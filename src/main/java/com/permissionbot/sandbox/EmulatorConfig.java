package com.permissionbot.sandbox;

import java.time.Clock;
import java.util.Objects;

/** Identity of the emulated app and tenant, and the platform's clock. */
public record EmulatorConfig(
        String appId,
        String appSecret,
        String tenantKey,
        String botOpenId,
        String botName,
        String appVersion,
        String appVersionId,
        long tokenTtlSeconds,
        Clock clock) {

    public EmulatorConfig {
        Objects.requireNonNull(appId, "appId");
        Objects.requireNonNull(appSecret, "appSecret");
        Objects.requireNonNull(tenantKey, "tenantKey");
        Objects.requireNonNull(botOpenId, "botOpenId");
        Objects.requireNonNull(botName, "botName");
        Objects.requireNonNull(appVersion, "appVersion");
        Objects.requireNonNull(appVersionId, "appVersionId");
        Objects.requireNonNull(clock, "clock");
        if (tokenTtlSeconds <= 0) {
            throw new IllegalArgumentException("tokenTtlSeconds must be positive");
        }
    }

    public static EmulatorConfig defaults() {
        return new EmulatorConfig("cli_sandbox", "sandbox-secret", "tenant_sandbox", "ou_bot_sandbox",
                "Permission Bot", "1.0.0", "oav_1", 7200, Clock.systemUTC());
    }

    public EmulatorConfig withApp(String id, String secret) {
        return new EmulatorConfig(id, secret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                tokenTtlSeconds, clock);
    }

    public EmulatorConfig withTokenTtlSeconds(long seconds) {
        return new EmulatorConfig(appId, appSecret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                seconds, clock);
    }

    public EmulatorConfig withClock(Clock c) {
        return new EmulatorConfig(appId, appSecret, tenantKey, botOpenId, botName, appVersion, appVersionId,
                tokenTtlSeconds, c);
    }
}
