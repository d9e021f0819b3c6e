package com.permissionbot.feishu;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one retry policy: what is repeated, how often, and how long it waits in between (recorded, never slept). */
class RetryPolicyTest {
    private final List<Duration> waits = new ArrayList<>();
    private final RetryPolicy policy = new RetryPolicy(Backoff.exponential(Duration.ofMillis(300), Duration.ofSeconds(5)),
            Duration.ofMillis(1500), waits::add);

    private static <T> PlatformResult<T> answer(int code, int http, Duration retryAfter) {
        return new PlatformResult<>(code, "msg", "log", http, retryAfter, null);
    }

    /** A call answering these, in order, then success. */
    @SafeVarargs
    private static java.util.function.Supplier<PlatformResult<Void>> answers(PlatformResult<Void>... first) {
        Deque<PlatformResult<Void>> left = new ArrayDeque<>(List.of(first));
        return () -> left.isEmpty() ? answer(0, 200, null) : left.poll();
    }

    @Test
    void unanswered_calls_and_5xx_are_repeated_with_growing_waits_at_most_four_times() {
        RetryPolicy.Tried<Void> t = policy.tried("x", answers(PlatformResult.network("timeout"), answer(5000, 500, null),
                answer(5000, 500, null), answer(5000, 500, null), answer(5000, 500, null)), Set.of());
        assertEquals(RetryPolicy.CALLS, t.calls());
        assertEquals(5000, t.result().code());
        assertTrue(t.unanswered());
        assertEquals(List.of(Duration.ofMillis(300), Duration.ofMillis(600), Duration.ofMillis(1200)), waits);
    }

    @Test
    void a_rate_limit_is_waited_out_only_when_its_reset_is_short_and_known() {
        assertTrue(policy.call("x", answers(answer(99991400, 429, Duration.ofSeconds(1)))).ok());
        assertEquals(List.of(Duration.ofSeconds(1)), waits);
        assertEquals(99991400, policy.call("x", answers(answer(99991400, 429, Duration.ofSeconds(30)))).code());
        assertEquals(99991400, policy.call("x", answers(answer(99991400, 429, null))).code(), "no reset given: not now");
        assertEquals(1, waits.size());
    }

    @Test
    void the_per_chat_message_limit_waits_a_second() {
        assertTrue(policy.call("x", answers(answer(230020, 400, null))).ok());
        assertEquals(List.of(Duration.ofSeconds(1)), waits);
    }

    @Test
    void a_refusal_is_not_repeated_unless_the_api_names_it_a_try_again_code() {
        assertEquals(1, policy.tried("x", answers(answer(230002, 400, null)), Set.of()).calls());
        RetryPolicy.Tried<Void> t = policy.tried("x", answers(answer(1395001, 400, null)), Set.of(1395001));
        assertTrue(t.result().ok());
        assertEquals(2, t.calls());
        assertFalse(t.unanswered());
    }

    @Test
    void a_call_that_throws_counts_as_unanswered() {
        int[] calls = {0};
        PlatformResult<Void> r = policy.call("x", () -> {
            if (calls[0]++ == 0) throw new IllegalStateException("boom");
            return answer(0, 200, null);
        });
        assertTrue(r.ok());
        assertEquals(2, calls[0]);
    }
}
