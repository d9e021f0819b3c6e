package com.permissionbot.replicas;

import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.scopes.GrantWatcher;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.MutableClock;
import com.permissionbot.support.Postgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The grant watcher on two replicas (two store pools on one PostgreSQL database, each replica with its own
 * platform client): their ticks race, yet one replica at a time checks a tenant, and another takes the tenant over
 * only once the holder's store lease has run out.
 */
@ExtendWith(Postgres.class)
class GrantWatcherLeaseTest {
    static final String TENANT = "tenant_1";
    /** GrantWatcher.LEASE (package-private there). */
    static final Duration WATCH_LEASE = Duration.ofSeconds(45);
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final List<String> told = Collections.synchronizedList(new ArrayList<>());
    final GrantWatcher.Notifier notifier = new GrantWatcher.Notifier() {
        public List<OutboxMessage> granted(ApplyRequest r, Duration took, Instant now) {
            told.add("granted " + r.id());
            return List.of();
        }

        public List<OutboxMessage> partlyGranted(ApplyRequest r, List<String> granted, List<String> waiting, Instant now) {
            told.add("partial " + r.id());
            return List.of();
        }

        public List<OutboxMessage> expired(ApplyRequest r, List<String> waiting, Instant now) {
            told.add("expired " + r.id());
            return List.of();
        }

        public List<OutboxMessage> revoked(String tenantKey, List<String> scopes, Set<String> chatIds, Instant now) {
            told.add("revoked " + scopes);
            return List.of();
        }
    };
    Store storeA;
    Store storeB;
    final FakeGateway platformA = new FakeGateway();
    final FakeGateway platformB = new FakeGateway();
    final ExecutorService pool = Executors.newFixedThreadPool(2);

    @BeforeEach
    void open() {
        String db = Postgres.server().createDatabase();
        storeA = JdbcStore.open(Postgres.server().herokuUrl(db));
        storeB = JdbcStore.open(Postgres.server().jdbcUrlWithCredentials(db));
        for (FakeGateway p : List.of(platformA, platformB)) {
            p.scope("im:message", true).scope("contact:user.base:readonly", false).scope("approval:approval", false);
        }
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
        storeA.close();
        storeB.close();
    }

    /** One replica's watcher, with its own scopes cache in front of its own platform client. */
    private GrantWatcher watcher(FakeGateway platform, Store store, String owner, Duration maxInterval) {
        ScopeService scopes = new ScopeService(platform, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), Duration.ofSeconds(10), "", Duration.ofSeconds(2)), "1.0.0", owner);
        return new GrantWatcher(scopes, store, clock, notifier, Duration.ofDays(7), maxInterval, owner, () -> { });
    }

    /** Both replicas tick at the same moment. */
    private void tickTogether(GrantWatcher... watchers) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (GrantWatcher w : watchers) {
            done.add(pool.submit(() -> {
                go.await();
                w.tick();
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : done) f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void racing_replicas_check_a_tenant_once_per_interval_and_the_survivor_takes_over_when_the_next_check_is_due() throws Exception {
        ApplyRequest r = storeA.saveApplyRequest(ApplyRequest.pending(TENANT, "oc_chat", "om_card", "ou_alice", "1.0.0",
                List.of("approval:approval", "contact:user.base:readonly"), clock.instant()));
        GrantWatcher a = watcher(platformA, storeA, "replica-a", Duration.ofMinutes(5));
        GrantWatcher b = watcher(platformB, storeB, "replica-b", Duration.ofMinutes(5));

        // while the request is fresh the tenant is due every minute: each minute exactly one replica checks it
        tickTogether(a, b);
        assertEquals(1, platformA.listCalls.get() + platformB.listCalls.get(), "one check for both replicas");
        for (int minute = 1; minute <= 8; minute++) {
            clock.advance(Duration.ofSeconds(61));
            for (int again = 0; again < 3; again++) tickTogether(a, b);
            assertEquals(minute + 1, platformA.listCalls.get() + platformB.listCalls.get(), "one check a minute, whoever makes it");
        }

        // a dies: b checks the tenant as soon as its next check is due by the shared schedule, not a lease later
        int bBefore = platformB.listCalls.get();
        platformA.grantAll();
        platformB.grantAll();
        clock.advance(Duration.ofSeconds(30));
        b.tick();
        assertEquals(bBefore, platformB.listCalls.get(), "not due yet");
        clock.advance(Duration.ofSeconds(31));
        b.tick();
        assertEquals(bBefore + 1, platformB.listCalls.get(), "taken over at the next due time");
        assertEquals(List.of("granted " + r.id()), told);
        assertTrue(storeB.openApplyRequests(TENANT).isEmpty());

        // and the grant is told once, whoever ticks
        clock.advance(Duration.ofMinutes(5));
        tickTogether(a, b);
        tickTogether(a, b);
        assertEquals(1, told.size());
    }

    @Test
    void a_replica_that_dies_in_the_middle_of_a_check_holds_the_tenant_only_for_the_lease() {
        storeA.saveApplyRequest(ApplyRequest.pending(TENANT, "oc_chat", "om_card", "ou_alice", "1.0.0",
                List.of("approval:approval"), clock.instant()));
        // a took the tenant's lease and died before its check was noted
        assertTrue(storeA.tryLease("watch:" + TENANT, "replica-a", clock.instant(), WATCH_LEASE));
        GrantWatcher b = watcher(platformB, storeB, "replica-b", Duration.ofMinutes(5));
        b.tick();
        assertEquals(0, platformB.listCalls.get(), "a holds it while its lease runs");
        clock.advance(WATCH_LEASE.plusSeconds(1));
        b.tick();
        assertEquals(1, platformB.listCalls.get());
    }

    /**
     * The replicas share one schedule (the last check's time is in the store), so a tenant is checked once per
     * interval, not once per interval per replica. Checked here with a one-hour max interval, the longest the
     * configuration allows.
     */
    @Test
    void two_replicas_check_a_tenant_once_per_interval_not_once_per_interval_each() throws Exception {
        storeA.saveApplyRequest(ApplyRequest.pending(TENANT, "oc_chat", "om_card", "ou_alice", "1.0.0",
                List.of("approval:approval"), clock.instant()));
        GrantWatcher a = watcher(platformA, storeA, "replica-a", Duration.ofHours(1));
        GrantWatcher b = watcher(platformB, storeB, "replica-b", Duration.ofHours(1));
        clock.advance(Duration.ofHours(7)); // checked hourly from now on
        for (int tick = 0; tick < 3 * 240; tick++) { // three hours of 15-second ticks
            tickTogether(a, b);
            clock.advance(Duration.ofSeconds(15));
        }
        assertEquals(3, platformA.listCalls.get() + platformB.listCalls.get(), "hourly for three hours, whoever checks");
    }
}
