package com.permissionbot.sandbox;

import io.javalin.http.Context;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Fault switches: added latency and forced failures (5xx, 429 with its reset header) per path prefix. */
public final class Faults {
    /** A failure to answer the next {@code remaining} matching calls with. */
    private record Failure(int status, int code, String msg, int resetSeconds, AtomicInteger remaining) {}

    private final Map<String, Duration> delays = new ConcurrentHashMap<>();
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();

    /** Every call whose path starts with {@code prefix} waits this long first (zero removes it). */
    public Faults delay(String prefix, Duration d) {
        if (d.isZero()) delays.remove(prefix);
        else delays.put(prefix, d);
        return this;
    }

    /** The next {@code times} calls under {@code prefix} fail with HTTP 500 and code 5000 (internal error). */
    public Faults serverError(String prefix, int times) {
        failures.put(prefix, new Failure(500, 5000, "Internal Error", 0, new AtomicInteger(times)));
        return this;
    }

    /** The next {@code times} calls under {@code prefix} get HTTP 429 / 99991400 with {@code x-ogw-ratelimit-reset}. */
    public Faults rateLimit(String prefix, int times, int resetSeconds) {
        failures.put(prefix, new Failure(429, 99991400, "request trigger frequency limit", resetSeconds, new AtomicInteger(times)));
        return this;
    }

    /** The next {@code times} calls under {@code prefix} are refused with this HTTP status, code and message. */
    public Faults refuse(String prefix, int times, int status, int code, String msg) {
        failures.put(prefix, new Failure(status, code, msg, 0, new AtomicInteger(times)));
        return this;
    }

    /** A failure switch as it stands: the next {@code remaining} calls under {@code prefix} fail. */
    public record FailureView(String prefix, int status, int code, int remaining, int resetSeconds) {}

    /** The added latencies by path prefix. */
    public Map<String, Duration> delays() {
        return new TreeMap<>(delays);
    }

    /** The failure switches that still have calls left to fail. */
    public List<FailureView> failures() {
        return failures.entrySet().stream()
                .filter(e -> e.getValue().remaining().get() > 0)
                .map(e -> new FailureView(e.getKey(), e.getValue().status(), e.getValue().code(),
                        e.getValue().remaining().get(), e.getValue().resetSeconds()))
                .sorted(java.util.Comparator.comparing(FailureView::prefix))
                .toList();
    }

    public void clear() {
        delays.clear();
        failures.clear();
    }

    /** Runs before every endpoint. */
    void apply(Context ctx) throws InterruptedException {
        String path = ctx.path();
        for (var e : delays.entrySet()) {
            if (path.startsWith(e.getKey())) Thread.sleep(e.getValue().toMillis());
        }
        for (var e : failures.entrySet()) {
            Failure f = e.getValue();
            if (path.startsWith(e.getKey()) && f.remaining().getAndDecrement() > 0) {
                if (f.status() == 429) {
                    ctx.header("x-ogw-ratelimit-limit", "100");
                    ctx.header("x-ogw-ratelimit-reset", String.valueOf(f.resetSeconds()));
                }
                throw new ApiException(f.status(), f.code(), f.msg(), null);
            }
        }
    }
}
