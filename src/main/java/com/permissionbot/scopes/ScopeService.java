package com.permissionbot.scopes;

import com.permissionbot.domain.Quota;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.ApplyStart;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tenant's grant status (cached for a minute, read afresh by Apply and the grant watcher), the app version the quota counts against, and Apply behind its
 * guards with the platform's answer mapped to an outcome; see https://open.feishu.cn/document/application-v6/scope/apply
 */
public final class ScopeService {
    private static final Logger log = LoggerFactory.getLogger(ScopeService.class);

    /**
     * The scopes APIs are specially rate-limited (https://open.feishu.cn/document/application-v6/scope/list), and
     * tenants on smaller plans have a monthly budget of API calls: by default the chat reads a list at most this old (one
     * call per tenant a minute however many ask; {@code follow.scopes_cache_seconds}), and the app version the cards show
     * too. Apply and each check of the grant watcher read the list afresh and refresh it; Apply and "quota" read the
     * version afresh.
     */
    static final Duration STATUS_TTL = Duration.ofSeconds(60);
    /** A failed read is kept this long, so a rate-limited or failing platform is not asked again by every message. */
    static final Duration FAILED_STATUS_TTL = Duration.ofSeconds(5);
    public static final String UNKNOWN_VERSION = "unknown";

    /** https://open.feishu.cn/document/application-v6/scope/apply */
    static final int CODE_ONLY_SUPER_SCOPES = 212001;
    static final int CODE_NOTHING_TO_APPLY = 212002;
    static final int CODE_APPROVAL_OVER_LIMIT = 212003;
    static final int CODE_DUPLICATE_APPLY = 212004;
    /** https://open.feishu.cn/document/application-v6/scope/list */
    static final int CODE_APP_NOT_INSTALLED = 212100;

    private final FeishuGateway gateway;
    private final Store store;
    private final Clock clock;
    private final BotConfig.Apply policy;
    private final OnlineVersion online;
    private final Cache<String, PlatformResult<ScopeStatus>> statusCache;
    private final Map<String, ReentrantLock> tenantLocks = new ConcurrentHashMap<>();
    private final String owner;
    private final RetryPolicy retry;
    /** Tenants whose grant status was read here: the grant watcher checks them for revocations. */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    /** How long one replica may take to make an application before another may start one for the tenant. */
    static final Duration APPLY_LEASE = Duration.ofSeconds(60);

    /** What a successful application owes the chats besides its own card (the admins' request card). */
    public interface RequestNotifier {
        /** The cards owed for {@code request} (stored, with its id), stored in the same step as the request. */
        List<OutboxMessage> requested(ApplyRequest request, Quota after, Instant now);
    }

    private final RequestNotifier notifier;
    private final Runnable noticesStored;

    /** {@code owner}: this process, for the store lease that keeps two replicas from applying for a tenant at once. */
    public ScopeService(FeishuGateway gateway, RetryPolicy retry, Store store, Clock clock, BotConfig.Apply policy,
                        String configuredVersion, String owner) {
        this(gateway, retry, store, clock, policy, configuredVersion, owner, STATUS_TTL, (r, q, now) -> List.of(), () -> { });
    }

    /**
     * {@code listCache}: how old a scopes list {@link #status} may return; {@code noticesStored}: runs after a request's
     * cards were stored, so the outbox delivers them at once.
     */
    public ScopeService(FeishuGateway gateway, RetryPolicy retry, Store store, Clock clock, BotConfig.Apply policy,
                        String configuredVersion, String owner, Duration listCache, RequestNotifier notifier, Runnable noticesStored) {
        this.notifier = notifier;
        this.noticesStored = noticesStored;
        this.owner = owner;
        this.retry = retry;
        this.gateway = gateway;
        this.store = store;
        this.clock = clock;
        this.policy = policy;
        this.online = new OnlineVersion(gateway, retry, clock, configuredVersion, policy.fallbackVersion(), listCache);
        this.statusCache = Caffeine.newBuilder()
                .expireAfter(new KeptFor(listCache))
                .maximumSize(10_000)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /**
     * The app's scopes in the tenant, read at most {@code listCache} ago (a failure at most {@link #FAILED_STATUS_TTL});
     * a failure keeps the platform's code and log_id.
     */
    public PlatformResult<ScopeStatus> status(String tenantKey) {
        PlatformResult<ScopeStatus> r = statusCache.get(tenantKey, k -> listScopes());
        if (r.ok()) seen.add(tenantKey);
        return r;
    }

    /**
     * The scopes read from the platform now, bypassing the cache and then refreshing it; a failed read leaves the cache
     * as it was (a list read within {@code listCache} is still the best the chat can show).
     */
    public PlatformResult<ScopeStatus> freshStatus(String tenantKey) {
        PlatformResult<ScopeStatus> r = listScopes();
        if (r.ok()) {
            statusCache.put(tenantKey, r);
            seen.add(tenantKey);
        }
        return r;
    }

    /** Tenants whose grant status this process has read, in no order. */
    public Set<String> seenTenants() {
        return Set.copyOf(seen);
    }

    /**
     * The version the quota counts against, as old as the cached scopes list at most: {@code FEISHU_APP_VERSION} if set, else the
     * applications API, else {@code apply.fallback_version}, else {@value #UNKNOWN_VERSION}.
     */
    public String currentVersion() {
        return online.current().version();
    }

    /**
     * The ledger for the current version in this tenant. A used-up version is the moment a new version is likely (the
     * cards ask for one), so the version is then read again before the ledger is believed.
     */
    public Quota quota(String tenantKey) {
        OnlineVersion.Facts v = online.current();
        Quota q = store.quota(tenantKey, v.version());
        if (q.exhausted() && v.fromPlatform()) q = store.quota(tenantKey, online.fresh().version());
        return q;
    }

    /** The ledger for the version online right now, read from the platform unless {@code FEISHU_APP_VERSION} is set. */
    public Quota freshQuota(String tenantKey) {
        return store.quota(tenantKey, online.fresh().version());
    }

    /**
     * One press of Apply, after the caller has de-duplicated the click: the allow-list, the per-tenant cooldown after
     * an application that may have spent quota, one application at a time per tenant (across replicas), a fresh scopes
     * list, a fresh read of the app version, then the apply call; the ledger (for that version), an apply request (with
     * the requester's {@code reason}, as {@link com.permissionbot.domain.Reason} keeps it) and an audit row follow the
     * platform's answer.
     */
    public ApplyOutcome apply(String tenantKey, String chatId, String cardMessageId, String requesterOpenId, String reason) {
        if (!allowed(requesterOpenId)) {
            return new ApplyOutcome(ApplyOutcome.Kind.NOT_ALLOWED, 0, "not on the apply allow-list", "", null, List.of(),
                    store.quota(tenantKey, currentVersion()));
        }
        Instant now = clock.instant();
        Optional<ApplyStart> last = store.lastApplyStart(tenantKey);
        if (last.isPresent() && now.isBefore(last.get().at().plus(policy.cooldown()))) {
            audit(tenantKey, chatId, requesterOpenId, "cooldown", null, null);
            return cooldown(tenantKey, Duration.between(now, last.get().at().plus(policy.cooldown())), last.get());
        }
        ReentrantLock lock = tenantLocks.computeIfAbsent(tenantKey, k -> new ReentrantLock());
        String lease = "apply:" + tenantKey;
        if (!lock.tryLock()) return cooldown(tenantKey, Duration.ofSeconds(5), null);
        try {
            if (!store.tryLease(lease, owner, now, APPLY_LEASE)) return cooldown(tenantKey, Duration.ofSeconds(5), null);
            try {
                return applyLocked(tenantKey, chatId, cardMessageId, requesterOpenId, reason);
            } finally {
                store.releaseLease(lease, owner);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Someone applied moments ago ({@code earlier}), or is applying right now (null): that covers every missing scope. */
    private ApplyOutcome cooldown(String tenantKey, Duration wait, ApplyStart earlier) {
        return new ApplyOutcome(ApplyOutcome.Kind.COOLDOWN, 0, earlier == null ? "an application for this tenant is being made"
                : "an application for this tenant was made moments ago", "", wait, List.of(), store.quota(tenantKey, currentVersion()), earlier);
    }

    private ApplyOutcome applyLocked(String tenantKey, String chatId, String cardMessageId, String requester, String reason) {
        PlatformResult<ScopeStatus> fresh = freshStatus(tenantKey);
        if (!fresh.ok()) {
            Quota before = store.quota(tenantKey, currentVersion());
            audit(tenantKey, chatId, requester, "scopes list failed", fresh.code(), fresh.logId());
            ApplyOutcome.Kind kind = kindOf(fresh);
            // an unanswered check is not an unanswered apply: the apply call was never made
            if (kind == ApplyOutcome.Kind.UNCERTAIN) kind = ApplyOutcome.Kind.NOT_SENT;
            return new ApplyOutcome(kind, fresh.code(), fresh.msg(), fresh.logId(),
                    fresh.rateLimited() ? fresh.retryAfter() : null, List.of(), before);
        }
        List<String> swept = fresh.value().ungranted();
        if (swept.isEmpty()) {
            audit(tenantKey, chatId, requester, "nothing to apply", fresh.code(), fresh.logId());
            return new ApplyOutcome(ApplyOutcome.Kind.NOTHING_TO_APPLY, fresh.code(), fresh.msg(), fresh.logId(), null,
                    List.of(), store.quota(tenantKey, currentVersion()));
        }
        // the platform counts the application against the version online when it arrives: read it right before
        OnlineVersion.Facts app = online.fresh();
        String version = app.version();
        Quota before = store.quota(tenantKey, version);

        PlatformResult<Void> r;
        try {
            r = gateway.applyScopes();
        } catch (RuntimeException e) {
            // the port should not throw; if it does, the request may have left, so treat it as unanswered
            log.warn("apply for tenant {} threw: {}", tenantKey, e.toString());
            r = PlatformResult.network(e.getClass().getSimpleName());
        }
        statusCache.invalidate(tenantKey);
        ApplyOutcome.Kind kind = kindOf(r);
        Instant at = clock.instant();
        Quota after = settle(kind, before, requester, at);
        Quota newer = kind == ApplyOutcome.Kind.QUOTA_EXHAUSTED ? publishedSince(tenantKey, version) : null;
        if (kind == ApplyOutcome.Kind.SUCCESS || kind == ApplyOutcome.Kind.UNCERTAIN) {
            // only an application that may have spent quota holds the next one back
            try {
                store.noteApplyStart(tenantKey, at, requester);
            } catch (RuntimeException e) {
                log.error("apply for tenant {} ended {} but its cooldown could not be noted: {}", tenantKey, kind, e.getMessage());
            }
        }
        if (kind == ApplyOutcome.Kind.SUCCESS) {
            ApplyRequest request = ApplyRequest.pending(tenantKey, chatId, cardMessageId, requester, version, swept, reason, at);
            try {
                store.atomically(tx -> {
                    tx.outboxAdd(notifier.requested(tx.saveApplyRequest(request), after, at));
                    return null;
                });
                noticesStored.run();
            } catch (RuntimeException e) {
                log.error("apply for tenant {} succeeded (log_id {}) but its request could not be saved: {}",
                        tenantKey, r.logId(), e.getMessage());
            }
        }
        audit(tenantKey, chatId, requester, String.join(",", swept), r.code(), r.logId());
        List<String> leftOut = app.app() == null ? null : app.app().leftOutOfApplications(swept);
        return new ApplyOutcome(kind, r.code(), r.msg(), r.logId(),
                kind == ApplyOutcome.Kind.RATE_LIMITED ? r.retryAfter() : null, swept, after, null, leftOut, newer);
    }

    /**
     * After a 212003 the version is read once more. A version published since starts with 10 applications, so the
     * platform's "over limit" was about the one read before the apply, which keeps the mark; the new version's ledger
     * is returned so the card can offer to apply against it. Null when the same version is still online.
     */
    private Quota publishedSince(String tenantKey, String appliedAgainst) {
        OnlineVersion.Facts now = online.fresh();
        if (now.version().equals(appliedAgainst)) return null;
        log.info("tenant {}: 212003 for version {}, but version {} is online now", tenantKey, appliedAgainst, now.version());
        try {
            return store.quota(tenantKey, now.version());
        } catch (RuntimeException e) {
            // the apply call has been made: nothing may throw from here on (see settle)
            log.error("cannot read the ledger of version {} for tenant {}: {}", now.version(), tenantKey, e.getMessage());
            return null;
        }
    }

    /**
     * Updates the ledger for the platform's answer. Only a success counts; 212003 marks the version used up.
     * UNCERTAIN counts nothing: we cannot tell whether the platform received the call and spent an application.
     * The call has been made by now, so a store failure is logged and never thrown (a throw would let the click
     * be repeated and spend quota twice).
     */
    private Quota settle(ApplyOutcome.Kind kind, Quota before, String requester, Instant at) {
        try {
            return switch (kind) {
                case SUCCESS -> store.recordApplied(before.tenantKey(), before.version(), requester, at);
                case QUOTA_EXHAUSTED -> store.markExhausted(before.tenantKey(), before.version(), at);
                default -> store.quota(before.tenantKey(), before.version());
            };
        } catch (RuntimeException e) {
            log.error("apply for tenant {} ended {} but the ledger could not be updated: {}", before.tenantKey(), kind, e.getMessage());
            return switch (kind) {
                case SUCCESS -> before.plusOne(requester, at);
                case QUOTA_EXHAUSTED -> before.asExhausted();
                default -> before;
            };
        }
    }

    /** The outcome for a platform answer to the apply call (or, when it failed, to the scopes list before it). */
    static ApplyOutcome.Kind kindOf(PlatformResult<?> r) {
        if (r.ok()) return ApplyOutcome.Kind.SUCCESS;
        if (r.rateLimited()) return ApplyOutcome.Kind.RATE_LIMITED;
        return switch (r.code()) {
            case CODE_ONLY_SUPER_SCOPES -> ApplyOutcome.Kind.ONLY_SUPER_SCOPES;
            case CODE_NOTHING_TO_APPLY -> ApplyOutcome.Kind.NOTHING_TO_APPLY;
            case CODE_APPROVAL_OVER_LIMIT -> ApplyOutcome.Kind.QUOTA_EXHAUSTED;
            case CODE_DUPLICATE_APPLY -> ApplyOutcome.Kind.DUPLICATE;
            case CODE_APP_NOT_INSTALLED -> ApplyOutcome.Kind.NOT_INSTALLED;
            default -> r.uncertain() ? ApplyOutcome.Kind.UNCERTAIN : ApplyOutcome.Kind.FAILED;
        };
    }

    private boolean allowed(String openId) {
        return policy.anyone() || (openId != null && policy.allowedOpenIds().contains(openId));
    }

    private PlatformResult<ScopeStatus> listScopes() {
        PlatformResult<List<ScopeGrant>> r = retry.call("scopes list", gateway::listScopes);
        return r.withValue(r.ok() ? new ScopeStatus(r.value() == null ? List.of() : List.copyOf(r.value())) : null);
    }

    /** A list for {@code list} from when it was read, a failure for {@link #FAILED_STATUS_TTL} (or {@code list} if shorter). */
    private record KeptFor(Duration list) implements Expiry<String, PlatformResult<ScopeStatus>> {
        @Override
        public long expireAfterCreate(String tenant, PlatformResult<ScopeStatus> r, long now) {
            return (r.ok() || list.compareTo(FAILED_STATUS_TTL) < 0 ? list : FAILED_STATUS_TTL).toNanos();
        }

        @Override
        public long expireAfterUpdate(String tenant, PlatformResult<ScopeStatus> r, long now, long left) {
            return expireAfterCreate(tenant, r, now);
        }

        @Override
        public long expireAfterRead(String tenant, PlatformResult<ScopeStatus> r, long now, long left) {
            return left;
        }
    }

    private void audit(String tenantKey, String chatId, String requester, String detail, Integer code, String logId) {
        try {
            store.audit(new AuditEntry(clock.instant(), tenantKey, chatId, requester, "apply", detail, code, logId));
        } catch (RuntimeException e) {
            log.error("cannot write the audit row for an apply in tenant {}: {}", tenantKey, e.getMessage());
        }
    }
}
