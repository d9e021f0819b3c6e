package com.permissionbot.approval;

import java.time.Duration;

/** How long to wait before a retry; tests pass {@link #NONE} so they never sleep. */
@FunctionalInterface
public interface Backoff {
    Backoff NONE = retry -> { };

    /** Waits before retry number {@code retry} (1 for the first retry). */
    void pause(int retry) throws InterruptedException;

    /** {@code first}, then twice as long before each further retry. */
    static Backoff exponential(Duration first) {
        return retry -> Thread.sleep(first.toMillis() << Math.min(10, retry - 1));
    }
}
