package com.permissionbot.domain;

import java.time.Instant;

/**
 * Applications made through the bot for one app version in one tenant (at most {@link #LIMIT}); {@code exhausted}
 * once the platform answered 212003. Applications made outside the bot are not seen.
 */
public record Quota(String tenantKey, String version, int used, boolean exhausted, Instant lastAt, String lastBy) {
    public static final int LIMIT = 10;

    /** What to show: 10 once the platform said the version is used up. */
    public int shown() {
        return exhausted ? LIMIT : Math.min(used, LIMIT);
    }

    public int left() {
        return LIMIT - shown();
    }

    /** Nothing recorded yet for this version. */
    public static Quota none(String tenantKey, String version) {
        return new Quota(tenantKey, version, 0, false, null, null);
    }

    /** This ledger with one more application, as the store would record it. */
    public Quota plusOne(String by, Instant at) {
        return new Quota(tenantKey, version, used + 1, exhausted, at, by);
    }

    /** This ledger once the platform has said the version is used up. */
    public Quota asExhausted() {
        return new Quota(tenantKey, version, used, true, lastAt, lastBy);
    }
}
