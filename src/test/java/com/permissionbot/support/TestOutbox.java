package com.permissionbot.support;

import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;

/**
 * An outbox for conversation tests: no waits between repeats, a quick look for due rows, and a clock that runs on in
 * real time from the test's clock (which tests move forward), so rows put off for a moment come due.
 */
public final class TestOutbox {
    private TestOutbox() {}

    public static Outbox over(Store store, FeishuGateway gateway, Clock clock) {
        return over(store, gateway, clock, "test");
    }

    /** {@code owner}: one name per replica, as the outbox's leases tell senders apart by it. */
    public static Outbox over(Store store, FeishuGateway gateway, Clock clock, String owner) {
        return new Outbox(store, gateway, RetryPolicy.immediate(), ticking(clock), owner,
                new Outbox.Settings(Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(50))).start();
    }

    /** {@code base}, plus the real time that passed since this was made. */
    static Clock ticking(Clock base) {
        long started = System.nanoTime();
        return new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return base.getZone();
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return base.instant().plusNanos(System.nanoTime() - started);
            }
        };
    }
}
