package com.permissionbot.feishu;

import java.time.Duration;

/** How long to wait before a retry; tests pass {@link #NONE} so they never wait. */
@FunctionalInterface
public interface Backoff {
    Backoff NONE = retry -> Duration.ZERO;

    /** The wait before retry number {@code retry} (1 for the first retry). */
    Duration before(int retry);

    /** {@code first}, then twice as long before each further retry, never more than {@code max}. */
    static Backoff exponential(Duration first, Duration max) {
        return retry -> {
            Duration d = first.multipliedBy(1L << Math.min(20, Math.max(0, retry - 1)));
            return d.compareTo(max) > 0 ? max : d;
        };
    }
}
