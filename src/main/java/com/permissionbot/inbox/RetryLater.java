package com.permissionbot.inbox;

import java.time.Duration;

/**
 * Thrown by a handler whose work could not be done now (the platform is down or rate limiting) and is safe to repeat:
 * the row goes back to the inbox and is tried again after {@code after} (or the worker's back-off, if longer).
 */
public final class RetryLater extends RuntimeException {
    private final Duration after;

    public RetryLater(String why, Duration after) {
        super(why, null, false, false);
        this.after = after == null ? Duration.ZERO : after;
    }

    public Duration after() {
        return after;
    }
}
