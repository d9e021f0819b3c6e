package com.permissionbot.scopes;

import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Follows each successful application until the admin grants what it swept in (Feishu has no grant event), and
 * notices scopes that were granted and no longer are, in every tenant the bot has seen (one whose grant status it read,
 * or that has a request or an earlier snapshot), at least every {@code maxInterval}. One scopes-list call per tenant
 * covers all its requests, read afresh and refreshing the chat's cache ({@link ScopeService#freshStatus}); a store lease keeps
 * other replicas off the tenant; everything it needs after a restart is in the store.
 */
public final class GrantWatcher {
    private static final Logger log = LoggerFactory.getLogger(GrantWatcher.class);
    /** How long a replica holds a tenant while it checks it (one scopes list with its quick repeats fits well inside). */
    static final Duration LEASE = Duration.ofSeconds(45);

    /** What the watcher's findings owe the chats: the cards to deliver, stored with the change that caused them. */
    public interface Notifier {
        List<OutboxMessage> granted(ApplyRequest request, Duration took, Instant now);

        List<OutboxMessage> partlyGranted(ApplyRequest request, List<String> granted, List<String> waiting, Instant now);

        /** {@code waiting}: the scopes still not granted (all of them unless part was granted). */
        List<OutboxMessage> expired(ApplyRequest request, List<String> waiting, Instant now);

        List<OutboxMessage> revoked(String tenantKey, List<String> scopes, Set<String> chatIds, Instant now);
    }

    private final ScopeService scopes;
    private final Store store;
    private final Clock clock;
    private final Notifier notifier;
    private final Duration horizon;
    private final Duration maxInterval;
    private final String owner;
    private final Runnable delivered;
    private static final Timer TIME_TO_GRANT = Timer.builder("bot.grants.time_to_grant").register(Metrics.globalRegistry);
    /** Open requests at the last tick (a gauge). */
    private final AtomicInteger pending = Metrics.gauge("bot.requests.pending", new AtomicInteger());

    /**
     * {@code maxInterval}: the longest wait between two checks of a tenant; {@code noticesStored}: runs after notices
     * were stored, so the outbox delivers them at once.
     */
    public GrantWatcher(ScopeService scopes, Store store, Clock clock, Notifier notifier, Duration horizon, Duration maxInterval,
                        String owner, Runnable noticesStored) {
        this.delivered = noticesStored;
        this.scopes = scopes;
        this.maxInterval = maxInterval;
        this.store = store;
        this.clock = clock;
        this.notifier = notifier;
        this.horizon = horizon;
        this.owner = owner;
    }

    /**
     * The wait between two checks of a tenant: about a minute while its newest request is fresh, backing off as it
     * ages, and never longer than {@code max}, which is also the wait for a tenant watched only for revocations.
     */
    static Duration interval(Duration newestAge, Duration max) {
        Duration every;
        if (newestAge == null) every = max;
        else if (newestAge.toMinutes() < 10) every = Duration.ofMinutes(1);
        else if (newestAge.toMinutes() < 60) every = Duration.ofMinutes(5);
        else if (newestAge.toHours() < 6) every = Duration.ofMinutes(15);
        else every = Duration.ofHours(1);
        return every.compareTo(max) > 0 ? max : every;
    }

    /** One pass over every tenant whose check is due; run it every few seconds. */
    public void tick() {
        int open = 0;
        Set<String> tenants = new LinkedHashSet<>(store.watchedTenants());
        tenants.addAll(scopes.seenTenants());
        for (String tenant : tenants) {
            open += store.openApplyRequests(tenant).size();
            try {
                check(tenant);
            } catch (RuntimeException e) {
                log.error("grant watch of tenant {} failed: {}", tenant, e.toString());
            }
        }
        pending.set(open);
    }

    /**
     * Checks the tenant if its check is due by the schedule all replicas share (the last check's time is in the store),
     * holding it in a short lease meanwhile, so each check is made once across replicas and a dead replica's tenants
     * are checked again as soon as they are due.
     */
    void check(String tenant) {
        Instant now = clock.instant();
        List<ApplyRequest> open = store.openApplyRequests(tenant);
        Duration newest = open.stream().map(r -> Duration.between(r.createdAt(), now)).min(Duration::compareTo).orElse(null);
        Duration every = interval(newest, maxInterval);
        if (!due(tenant, now, every)) return;
        String lease = "watch:" + tenant;
        if (!store.tryLease(lease, owner, now, LEASE)) return;
        try {
            // another replica may have checked it between the look above and the lease
            if (!due(tenant, now, every)) return;
            store.noteWatchCheck(tenant, now);
            check(tenant, open, now);
        } finally {
            store.releaseLease(lease, owner);
        }
    }

    private boolean due(String tenant, Instant now, Duration every) {
        return store.lastWatchCheck(tenant).map(last -> !now.isBefore(last.plus(every))).orElse(true);
    }

    private void check(String tenant, List<ApplyRequest> open, Instant now) {
        // afresh: a revocation is seen at this check, not a cache lifetime later, and the chat sees what the check saw
        PlatformResult<ScopeStatus> r = scopes.freshStatus(tenant);
        if (!r.ok()) {
            log.warn("grant watch of tenant {}: scopes list answered code {} (log_id {}); trying again later", tenant, r.code(), r.logId());
            return;
        }
        Map<String, Boolean> grants = new HashMap<>();
        for (ScopeGrant g : r.value().scopes()) grants.put(g.name(), g.granted());
        revocations(tenant, grants, now);
        for (ApplyRequest req : open) follow(req, grants, now);
    }

    private void follow(ApplyRequest req, Map<String, Boolean> grants, Instant now) {
        List<String> granted = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        for (String s : req.scopes()) (Boolean.TRUE.equals(grants.get(s)) ? granted : waiting).add(s);
        if (waiting.isEmpty()) {
            Duration took = Duration.between(req.createdAt(), now);
            if (resolve(req, ApplyRequest.GRANTED, notifier.granted(req, took, now), now)) TIME_TO_GRANT.record(took);
        } else if (!granted.isEmpty() && ApplyRequest.PENDING.equals(req.status())) {
            resolve(req, ApplyRequest.PARTIAL, notifier.partlyGranted(req, granted, waiting, now), now);
        } else if (now.isAfter(req.createdAt().plus(horizon))) {
            resolve(req, ApplyRequest.EXPIRED, notifier.expired(req, waiting, now), now);
        }
    }

    /** Moves the request on and stores its notices in one step: a notice is owed exactly when the change happened. */
    private boolean resolve(ApplyRequest req, String status, List<OutboxMessage> notices, Instant now) {
        boolean moved = store.atomically(tx -> {
            if (!tx.resolveApplyRequest(req.id(), status, now)) return false;
            tx.outboxAdd(notices);
            return true;
        });
        if (moved) delivered.run();
        return moved;
    }

    /** Scopes granted at the last check and not granted now: alert the chats that asked for them. */
    private void revocations(String tenant, Map<String, Boolean> grants, Instant now) {
        Map<String, Boolean> before = store.grantSnapshot(tenant);
        List<String> revoked = new ArrayList<>();
        before.forEach((scope, was) -> {
            if (was && Boolean.FALSE.equals(grants.get(scope))) revoked.add(scope);
        });
        List<OutboxMessage> alerts = List.of();
        if (!revoked.isEmpty()) {
            revoked.sort(null);
            Set<String> chats = new LinkedHashSet<>();
            for (ApplyRequest r : store.applyRequestsOf(tenant)) {
                if (r.chatId() != null && r.scopes().stream().anyMatch(revoked::contains)) chats.add(r.chatId());
            }
            log.warn("tenant {}: {} scope(s) revoked: {}", tenant, revoked.size(), revoked);
            Metrics.counter("bot.grants.revoked").increment(revoked.size());
            alerts = notifier.revoked(tenant, revoked, chats, now);
        }
        List<OutboxMessage> owed = alerts;
        store.atomically(tx -> {
            tx.saveGrantSnapshot(tenant, grants, now);
            tx.outboxAdd(owed);
            return null;
        });
        if (!owed.isEmpty()) delivered.run();
    }
}
