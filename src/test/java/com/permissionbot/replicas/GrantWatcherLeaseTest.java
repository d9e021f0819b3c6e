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

        public List<OutboxMessage> expired(ApplyRequest r, Instant now) {
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
    void racing_replicas_check_a_tenant_one_at_a_time_and_the_survivor_takes_over_after_the_lease() throws Exception {
        ApplyRequest r = storeA.saveApplyRequest(ApplyRequest.pending(TENANT, "oc_chat", "om_card", "ou_alice", "1.0.0",
                List.of("approval:approval", "contact:user.base:readonly"), clock.instant()));
        GrantWatcher a = watcher(platformA, storeA, "replica-a", Duration.ofMinutes(5));
        GrantWatcher b = watcher(platformB, storeB, "replica-b", Duration.ofMinutes(5));

        // while the request is fresh the tenant is due every minute: each minute exactly one replica checks it,
        // always the same one (it renews its lease on every check)
        tickTogether(a, b);
        assertEquals(1, platformA.listCalls.get() + platformB.listCalls.get(), "one check for both replicas");
        FakeGateway holder = platformA.listCalls.get() == 1 ? platformA : platformB;
        GrantWatcher survivor = holder == platformA ? b : a;
        FakeGateway survivorPlatform = holder == platformA ? platformB : platformA;
        for (int minute = 1; minute <= 8; minute++) {
            clock.advance(Duration.ofSeconds(61));
            for (int again = 0; again < 3; again++) tickTogether(a, b);
            assertEquals(minute + 1, holder.listCalls.get(), "the holder checks once a minute");
            assertEquals(0, survivorPlatform.listCalls.get(), "the other replica stays off the tenant");
        }

        // the holder dies; the survivor keeps off while the holder's lease runs (at least LEASE after its last
        // check), then takes the tenant over, at the latest one interval (a minute) plus LEASE after that check
        survivorPlatform.grantAll();
        holder.grantAll();
        Duration sinceLastCheck = Duration.ZERO;
        while (survivorPlatform.listCalls.get() == 0) {
            clock.advance(Duration.ofSeconds(30));
            sinceLastCheck = sinceLastCheck.plusSeconds(30);
            survivor.tick();
            assertTrue(sinceLastCheck.compareTo(Duration.ofMinutes(1).plus(WATCH_LEASE).plusSeconds(30)) <= 0,
                    "not taken over after " + sinceLastCheck);
        }
        assertTrue(sinceLastCheck.compareTo(WATCH_LEASE) > 0, "taken over while the lease ran: " + sinceLastCheck);
        assertEquals(1, survivorPlatform.listCalls.get(), "taken over");
        assertEquals(List.of("granted " + r.id()), told);
        assertTrue(storeB.openApplyRequests(TENANT).isEmpty());

        // and the grant is told once, whoever ticks
        clock.advance(Duration.ofMinutes(5));
        tickTogether(a, b);
        tickTogether(a, b);
        assertEquals(1, told.size());
    }

    /**
     * Each replica keeps its own schedule (when it last checked a tenant); were the store lease only {@code LEASE}
     * (45 s) from a check, it would have run out before the next check is due, every replica would run its own
     * schedule, and the tenant would be checked once per interval per replica (twice as often with two). GrantWatcher
     * therefore takes the
     * lease until the next check is due ({@code tryLease(…, interval(newest, max).plus(LEASE))}). Checked here with
     * a one-hour max interval, the longest the configuration allows.
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
