package com.permissionbot.scopes;

import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grant watcher with a controllable clock: grants, partial grants, the horizon, revocations, restarts. */
class GrantWatcherTest {
    static final String TENANT = "tenant_1";
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final FakeGateway platform = new FakeGateway();
    final List<String> told = new ArrayList<>();
    Store store;

    final GrantWatcher.Notifier notifier = new GrantWatcher.Notifier() {
        public List<OutboxMessage> granted(ApplyRequest r, Duration took, Instant now) {
            told.add("granted " + r.id() + " after " + took.toMinutes() + " min");
            return List.of();
        }

        public List<OutboxMessage> partlyGranted(ApplyRequest r, List<String> granted, List<String> waiting, Instant now) {
            told.add("partial " + r.id() + " granted " + granted + " waiting " + waiting);
            return List.of();
        }

        public List<OutboxMessage> expired(ApplyRequest r, List<String> waiting, Instant now) {
            told.add("expired " + r.id());
            return List.of();
        }

        public List<OutboxMessage> revoked(String tenantKey, List<String> scopes, Set<String> chatIds, Instant now) {
            told.add("revoked " + scopes + " in " + chatIds);
            return List.of();
        }
    };

    @BeforeEach
    void open() {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("watch.db"));
        platform.scope("im:message", true).scope("contact:user.base:readonly", false).scope("approval:approval", false);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static final Duration MAX_INTERVAL = Duration.ofMinutes(5);
    static final Duration TICK = Duration.ofSeconds(15);

    /** One replica: its own scopes cache in front of the platform, and its watcher. */
    private ScopeService scopes(String owner) {
        return new ScopeService(platform, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), Duration.ofSeconds(10), "", Duration.ofSeconds(2)), "1.0.0", owner);
    }

    private GrantWatcher watcher(String owner) {
        return watcher(scopes(owner), owner);
    }

    private GrantWatcher watcher(ScopeService scopes, String owner) {
        return new GrantWatcher(scopes, store, clock, notifier, Duration.ofDays(7), MAX_INTERVAL, owner, () -> { });
    }

    private ApplyRequest applied() {
        return store.saveApplyRequest(ApplyRequest.pending(TENANT, "oc_chat", "om_card", "ou_alice", "1.0.0",
                List.of("approval:approval", "contact:user.base:readonly"), clock.instant()));
    }

    @Test
    void a_granted_request_is_told_once_with_the_time_it_took() {
        ApplyRequest r = applied();
        GrantWatcher w = watcher("a");
        w.tick();
        assertTrue(told.isEmpty());
        platform.grantAll();
        clock.advance(Duration.ofSeconds(30));
        w.tick();
        assertTrue(told.isEmpty(), "the next check waits for the interval");
        clock.advance(Duration.ofSeconds(31));
        w.tick();
        assertEquals(List.of("granted " + r.id() + " after 1 min"), told);
        clock.advance(Duration.ofMinutes(5));
        w.tick();
        assertEquals(1, told.size());
        assertTrue(store.openApplyRequests(TENANT).isEmpty());
    }

    @Test
    void a_partial_grant_says_what_is_still_waiting_then_the_rest() {
        ApplyRequest r = applied();
        GrantWatcher w = watcher("a");
        platform.scope("approval:approval", true);
        w.tick();
        assertEquals(List.of("partial " + r.id() + " granted [approval:approval] waiting [contact:user.base:readonly]"), told);
        clock.advance(Duration.ofMinutes(2));
        w.tick();
        assertEquals(1, told.size(), "no second partial notice without progress");
        platform.grantAll();
        clock.advance(Duration.ofMinutes(2));
        w.tick();
        assertEquals("granted " + r.id() + " after 4 min", told.get(1));
    }

    @Test
    void a_request_never_granted_stops_at_the_horizon() {
        ApplyRequest r = applied();
        GrantWatcher w = watcher("a");
        for (int hour = 0; hour <= 7 * 24 + 1; hour++) {
            w.tick();
            clock.advance(Duration.ofHours(1));
        }
        assertEquals(List.of("expired " + r.id()), told);
        assertTrue(store.openApplyRequests(TENANT).isEmpty());
    }

    @Test
    void checks_back_off_from_a_minute_to_the_max_interval() {
        Duration hour = Duration.ofHours(1);
        assertEquals(Duration.ofMinutes(1), GrantWatcher.interval(Duration.ofMinutes(3), hour));
        assertEquals(Duration.ofMinutes(5), GrantWatcher.interval(Duration.ofMinutes(30), hour));
        assertEquals(Duration.ofMinutes(15), GrantWatcher.interval(Duration.ofHours(2), hour));
        assertEquals(hour, GrantWatcher.interval(Duration.ofDays(2), hour));
        assertEquals(hour, GrantWatcher.interval(null, hour), "a tenant watched only for revocations");
        assertEquals(MAX_INTERVAL, GrantWatcher.interval(Duration.ofHours(2), MAX_INTERVAL));
        assertEquals(MAX_INTERVAL, GrantWatcher.interval(null, MAX_INTERVAL));
        assertEquals(Duration.ofMinutes(1), GrantWatcher.interval(Duration.ofMinutes(3), MAX_INTERVAL));
        applied();
        GrantWatcher w = watcher("a");
        clock.advance(Duration.ofHours(7));
        int before = platform.listCalls.get();
        for (int i = 0; i < 120; i++) {
            w.tick();
            clock.advance(Duration.ofMinutes(1));
        }
        assertEquals(24, platform.listCalls.get() - before, "a 7-hour-old request is checked every 5 minutes");
    }

    /** Ticks every {@link #TICK} until something is told; how long after the start that was. */
    private Duration tickUntilTold(GrantWatcher w, Duration atMost) {
        Duration waited = Duration.ZERO;
        while (told.isEmpty() && waited.compareTo(atMost) <= 0) {
            clock.advance(TICK);
            waited = waited.plus(TICK);
            w.tick();
        }
        return waited;
    }

    @Test
    void a_revoke_with_no_request_being_watched_is_alerted_within_the_max_interval_plus_a_tick() {
        ScopeService scopes = scopes("a");
        GrantWatcher w = watcher(scopes, "a");
        assertTrue(scopes.status(TENANT).ok(), "someone asked which permissions are missing: the bot has seen the tenant");
        w.tick();
        assertTrue(store.grantSnapshot(TENANT).get("im:message"), "the first check is the baseline");

        clock.advance(Duration.ofSeconds(20));
        platform.scope("im:message", false);
        Duration took = tickUntilTold(w, Duration.ofHours(1));
        assertEquals(List.of("revoked [im:message] in []"), told);
        assertTrue(took.plusSeconds(20).compareTo(MAX_INTERVAL.plus(TICK)) <= 0, "alerted " + took + " after the revoke");
        assertTrue(store.openApplyRequests(TENANT).isEmpty());
    }

    @Test
    void after_a_restart_a_tenant_known_only_by_its_snapshot_is_still_checked_every_max_interval() {
        ScopeService scopes = scopes("a");
        scopes.status(TENANT);
        watcher(scopes, "a").tick();
        // another process, which has seen nothing itself and has no request to follow: only the stored snapshot
        GrantWatcher restarted = watcher("b");
        clock.advance(MAX_INTERVAL.plus(GrantWatcher.LEASE).plusSeconds(1));
        int before = platform.listCalls.get();
        for (int i = 0; i < 240; i++) {
            restarted.tick();
            clock.advance(TICK);
        }
        assertEquals(12, platform.listCalls.get() - before, "an hour of ticks, a check every 5 minutes");
        platform.scope("im:message", false);
        Duration took = tickUntilTold(restarted, Duration.ofHours(1));
        assertEquals(List.of("revoked [im:message] in []"), told);
        assertTrue(took.compareTo(MAX_INTERVAL.plus(TICK)) <= 0, "alerted " + took + " after the revoke");
    }

    @Test
    void a_check_reads_the_scopes_afresh_even_right_after_the_chat_did_and_refreshes_the_chats_cache() {
        ScopeService scopes = scopes("a");
        scopes.status(TENANT);
        platform.scope("approval:approval", true);
        watcher(scopes, "a").tick();
        assertEquals(2, platform.listCalls.get(), "a revocation is seen at the check, not a cache lifetime later");
        assertEquals(List.of("contact:user.base:readonly"), scopes.status(TENANT).value().ungranted());
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_revoked_scope_alerts_the_chats_that_asked_for_it() {
        platform.grantAll();
        applied();
        GrantWatcher w = watcher("a");
        w.tick();
        told.clear();
        platform.scope("approval:approval", false);
        clock.advance(Duration.ofHours(1));
        w.tick();
        assertEquals(List.of("revoked [approval:approval] in [oc_chat]"), told);
        clock.advance(Duration.ofHours(1));
        w.tick();
        assertEquals(1, told.size(), "a revocation is told once");
    }

    @Test
    void only_one_replica_watches_a_tenant_and_another_takes_over_after_a_restart() {
        ApplyRequest r = applied();
        GrantWatcher a = watcher("replica-a");
        GrantWatcher b = watcher("replica-b");
        a.tick();
        int calls = platform.listCalls.get();
        b.tick();
        assertEquals(calls, platform.listCalls.get(), "b stays off while a holds the tenant");
        platform.grantAll();
        // a dies; b takes over once a's lease has run out
        Duration takeover = Duration.ofMinutes(1).plus(GrantWatcher.LEASE).plusSeconds(1);
        clock.advance(takeover);
        b.tick();
        assertEquals(List.of("granted " + r.id() + " after " + takeover.toMinutes() + " min"), told);
    }
}
