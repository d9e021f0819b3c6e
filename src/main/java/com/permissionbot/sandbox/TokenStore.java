package com.permissionbot.sandbox;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** Access tokens issued by the emulator; see https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal */
final class TokenStore {

    /** A token handed out and the seconds it has left. */
    record Issued(String token, long expire) {
    }

    private static final Duration REUSE_ABOVE = Duration.ofMinutes(30);

    private final Clock clock;
    private final Duration ttl;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> expiries = new HashMap<>();
    private final Map<String, String> current = new HashMap<>();

    TokenStore(Clock clock, long ttlSeconds) {
        this.clock = clock;
        this.ttl = Duration.ofSeconds(ttlSeconds);
    }

    synchronized Issued issue(String kind) {
        Instant now = clock.instant();
        String token = current.get(kind);
        Instant until = token == null ? null : expiries.get(token);
        if (until != null && Duration.between(now, until).compareTo(REUSE_ABOVE) >= 0) {
            return new Issued(token, Duration.between(now, until).toSeconds());
        }
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        token = "t-" + HexFormat.of().formatHex(bytes);
        expiries.put(token, now.plus(ttl));
        current.put(kind, token);
        return new Issued(token, ttl.toSeconds());
    }

    synchronized boolean valid(String token) {
        Instant until = expiries.get(token);
        if (until == null) {
            return false;
        }
        if (!clock.instant().isBefore(until)) {
            expiries.remove(token);
            return false;
        }
        return true;
    }

    synchronized void expireAll() {
        expiries.clear();
        current.clear();
    }
}
