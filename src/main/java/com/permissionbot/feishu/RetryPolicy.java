package com.permissionbot.feishu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The one retry policy for platform calls that are safe to repeat (reads, and sends, replies and updates, which the
 * platform de-duplicates by their uuid or which set the same content again). A call is repeated at once-ish while the
 * platform gave no answer, answered 5xx, or rate-limited it for no longer than {@code maxRateLimitWait}; at most
 * {@link #CALLS} calls. {@code scopes/apply} never goes through here: it spends quota.
 */
public final class RetryPolicy {
    private static final Logger log = LoggerFactory.getLogger(RetryPolicy.class);
    /** Calls per operation at most. */
    public static final int CALLS = 4;
    /**
     * The per-chat message limit is per second (https://open.feishu.cn/document/server-docs/im-v1/message/create):
     * wait this long before sending into the chat again.
     */
    static final Duration CHAT_LIMIT_WAIT = Duration.ofSeconds(1);

    /** Waits between two calls; tests pass {@link #NO_PAUSE}. */
    @FunctionalInterface
    public interface Pause {
        void pause(Duration d) throws InterruptedException;
    }

    public static final Pause SLEEP = d -> {
        if (!d.isZero() && !d.isNegative()) Thread.sleep(d.toMillis());
    };
    public static final Pause NO_PAUSE = d -> { };

    /** The last answer and how many calls it took; {@code unanswered} when an earlier call got no answer. */
    public record Tried<T>(PlatformResult<T> result, int calls, boolean unanswered) {}

    private final Backoff backoff;
    private final Duration maxRateLimitWait;
    private final Pause pause;

    public RetryPolicy(Backoff backoff, Duration maxRateLimitWait, Pause pause) {
        this.backoff = backoff;
        this.maxRateLimitWait = maxRateLimitWait;
        this.pause = pause;
    }

    /** The same decisions as in production (a rate limit of up to 1.5 s is waited out), with no waits (for tests). */
    public static RetryPolicy immediate() {
        return new RetryPolicy(Backoff.NONE, Duration.ofMillis(1500), NO_PAUSE);
    }

    /** The call, repeated as described above; its final answer. */
    public <T> PlatformResult<T> call(String what, Supplier<PlatformResult<T>> call) {
        return tried(what, call, Set.of()).result();
    }

    /** As {@link #call}, also repeating the answers with the codes in {@code alsoRetry} (an API's "try again" codes). */
    public <T> Tried<T> tried(String what, Supplier<PlatformResult<T>> call, Set<Integer> alsoRetry) {
        boolean unanswered = false;
        for (int n = 1; ; n++) {
            PlatformResult<T> r = once(call);
            Duration wait = n < CALLS ? waitBeforeRetry(r, n, alsoRetry) : null;
            if (wait == null) return new Tried<>(r, n, unanswered);
            unanswered |= r.uncertain();
            log.debug("{}: code {} (log_id {}); calling again in {} ms", what, r.code(), r.logId(), wait.toMillis());
            try {
                pause.pause(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Tried<>(r, n, unanswered);
            }
        }
    }

    /** Whether a later repeat of the call may well be accepted: no answer, a 5xx, or a rate limit. */
    public static boolean transientFailure(PlatformResult<?> r) {
        return !r.ok() && (r.uncertain() || r.rateLimited() || r.chatRateLimited());
    }

    /** The wait before calling again after answer {@code r} to call number {@code n}; null to stop here. */
    private Duration waitBeforeRetry(PlatformResult<?> r, int n, Set<Integer> alsoRetry) {
        if (r.ok()) return null;
        if (r.rateLimited()) {
            // no reset given: nobody knows how long to wait, so not now
            return r.retryAfter() != null && r.retryAfter().compareTo(maxRateLimitWait) <= 0 ? r.retryAfter() : null;
        }
        if (r.chatRateLimited()) return CHAT_LIMIT_WAIT;
        if (r.uncertain() || alsoRetry.contains(r.code())) return backoff.before(n);
        return null;
    }

    /** One call; one that throws (the port should not) counts as unanswered: nobody can tell whether it arrived. */
    public static <T> PlatformResult<T> once(Supplier<PlatformResult<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return PlatformResult.network(e.getClass().getSimpleName());
        }
    }
}
