package com.permissionbot.scopes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.AppVersion;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.ApplyStart;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tenant's grant status (briefly cached), the app version the quota counts against, and Apply behind its
 * guards with the platform's answer mapped to an outcome (design §2, protocol §8).
 */
public final class ScopeService {
    private static final Logger log = LoggerFactory.getLogger(ScopeService.class);

    /** The scopes APIs are specially rate-limited (protocol §8): a busy group reads a list at most this old. */
    static final Duration STATUS_TTL = Duration.ofSeconds(5);
    static final Duration VERSION_TTL = Duration.ofMinutes(10);
    /** After a failed version lookup, how long to use the fallback before asking again. */
    static final Duration VERSION_RETRY = Duration.ofMinutes(1);
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
    private final String configuredVersion;
    private final Cache<String, PlatformResult<ScopeStatus>> statusCache;
    private final Map<String, ReentrantLock> tenantLocks = new ConcurrentHashMap<>();
    private final String owner;
    private final RetryPolicy retry;

    private final Object versionLock = new Object();
    private String apiVersion;
    private Instant lastVersionCheck = Instant.MIN;
    private Instant versionCheckAfter = Instant.MIN;

    /** How long one replica may take to make an application before another may start one for the tenant. */
    static final Duration APPLY_LEASE = Duration.ofSeconds(60);

    /** {@code owner}: this process, for the store lease that keeps two replicas from applying for a tenant at once. */
    public ScopeService(FeishuGateway gateway, RetryPolicy retry, Store store, Clock clock, BotConfig.Apply policy,
                        String configuredVersion, String owner) {
        this.owner = owner;
        this.retry = retry;
        this.gateway = gateway;
        this.store = store;
        this.clock = clock;
        this.policy = policy;
        this.configuredVersion = configuredVersion == null ? "" : configuredVersion.trim();
        this.statusCache = Caffeine.newBuilder()
                .expireAfterWrite(STATUS_TTL)
                .maximumSize(10_000)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /** The app's scopes in the tenant, at most {@link #STATUS_TTL} old; a failure keeps the platform's code and log_id. */
    public PlatformResult<ScopeStatus> status(String tenantKey) {
        return statusCache.get(tenantKey, k -> listScopes());
    }

    /** The scopes read from the platform now, bypassing the cache and then refreshing it. */
    public PlatformResult<ScopeStatus> freshStatus(String tenantKey) {
        PlatformResult<ScopeStatus> r = listScopes();
        statusCache.put(tenantKey, r);
        return r;
    }

    /**
     * The version the quota counts against: {@code FEISHU_APP_VERSION} if set, else the applications API (cached),
     * else {@code apply.fallback_version}, else {@value #UNKNOWN_VERSION}.
     */
    public String currentVersion() {
        if (!configuredVersion.isEmpty()) return configuredVersion;
        String fromApi = versionFromApi();
        if (fromApi != null) return fromApi;
        String fallback = policy.fallbackVersion() == null ? "" : policy.fallbackVersion().trim();
        return fallback.isEmpty() ? UNKNOWN_VERSION : fallback;
    }

    /**
     * The ledger for the current version in this tenant. A used-up version is the one moment a new version is likely
     * (the cards tell people to publish one), so the version is then asked again, at most every {@link #VERSION_RETRY}.
     */
    public Quota quota(String tenantKey) {
        Quota q = store.quota(tenantKey, currentVersion());
        if (q.exhausted() && configuredVersion.isEmpty() && recheckVersionSoon()) q = store.quota(tenantKey, currentVersion());
        return q;
    }

    /** Moves the next version lookup up to at most {@link #VERSION_RETRY} from the last one; true if it is due now. */
    private boolean recheckVersionSoon() {
        synchronized (versionLock) {
            Instant soonest = lastVersionCheck.plus(VERSION_RETRY);
            if (soonest.isBefore(versionCheckAfter)) versionCheckAfter = soonest;
            return !clock.instant().isBefore(versionCheckAfter);
        }
    }

    /**
     * One press of Apply, after the caller has de-duplicated the click: the allow-list, the per-tenant cooldown after
     * an application that may have spent quota, one application at a time per tenant (across replicas), a fresh scopes
     * list, then the apply call; the ledger, an apply request and an audit row follow the platform's answer.
     */
    public ApplyOutcome apply(String tenantKey, String chatId, String cardMessageId, String requesterOpenId) {
        String version = currentVersion();
        if (!allowed(requesterOpenId)) {
            return new ApplyOutcome(ApplyOutcome.Kind.NOT_ALLOWED, 0, "not on the apply allow-list", "", null, List.of(),
                    store.quota(tenantKey, version));
        }
        Instant now = clock.instant();
        Optional<ApplyStart> last = store.lastApplyStart(tenantKey);
        if (last.isPresent() && now.isBefore(last.get().at().plus(policy.cooldown()))) {
            audit(tenantKey, chatId, requesterOpenId, "cooldown", null, null);
            return cooldown(tenantKey, version, Duration.between(now, last.get().at().plus(policy.cooldown())), last.get());
        }
        ReentrantLock lock = tenantLocks.computeIfAbsent(tenantKey, k -> new ReentrantLock());
        String lease = "apply:" + tenantKey;
        if (!lock.tryLock()) return cooldown(tenantKey, version, Duration.ofSeconds(5), null);
        try {
            if (!store.tryLease(lease, owner, now, APPLY_LEASE)) return cooldown(tenantKey, version, Duration.ofSeconds(5), null);
            try {
                return applyLocked(tenantKey, chatId, cardMessageId, requesterOpenId, version);
            } finally {
                store.releaseLease(lease, owner);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Someone applied moments ago ({@code earlier}), or is applying right now (null): that covers every missing scope. */
    private ApplyOutcome cooldown(String tenantKey, String version, Duration wait, ApplyStart earlier) {
        return new ApplyOutcome(ApplyOutcome.Kind.COOLDOWN, 0, earlier == null ? "an application for this tenant is being made"
                : "an application for this tenant was made moments ago", "", wait, List.of(), store.quota(tenantKey, version), earlier);
    }

    private ApplyOutcome applyLocked(String tenantKey, String chatId, String cardMessageId, String requester, String version) {
        Quota before = store.quota(tenantKey, version);
        PlatformResult<ScopeStatus> fresh = freshStatus(tenantKey);
        if (!fresh.ok()) {
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
                    List.of(), before);
        }

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
        if (kind == ApplyOutcome.Kind.SUCCESS || kind == ApplyOutcome.Kind.UNCERTAIN) {
            // only an application that may have spent quota holds the next one back (design §2)
            try {
                store.noteApplyStart(tenantKey, at, requester);
            } catch (RuntimeException e) {
                log.error("apply for tenant {} ended {} but its cooldown could not be noted: {}", tenantKey, kind, e.getMessage());
            }
        }
        if (kind == ApplyOutcome.Kind.SUCCESS) {
            try {
                store.saveApplyRequest(ApplyRequest.pending(tenantKey, chatId, cardMessageId, requester, version, swept, at));
            } catch (RuntimeException e) {
                log.error("apply for tenant {} succeeded (log_id {}) but its request could not be saved: {}",
                        tenantKey, r.logId(), e.getMessage());
            }
        }
        audit(tenantKey, chatId, requester, String.join(",", swept), r.code(), r.logId());
        return new ApplyOutcome(kind, r.code(), r.msg(), r.logId(),
                kind == ApplyOutcome.Kind.RATE_LIMITED ? r.retryAfter() : null, swept, after);
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

    /** The applications API's answer, asked at most every {@link #VERSION_TTL} (or {@link #VERSION_RETRY} after a failure). */
    private String versionFromApi() {
        synchronized (versionLock) {
            Instant now = clock.instant();
            if (now.isBefore(versionCheckAfter)) return apiVersion;
            lastVersionCheck = now;
            PlatformResult<AppVersion> r = retry.call("app version", gateway::appVersion);
            String v = r.ok() && r.value() != null && r.value().version() != null ? r.value().version().trim() : "";
            if (!v.isEmpty()) {
                apiVersion = v;
                versionCheckAfter = now.plus(VERSION_TTL);
            } else {
                log.warn("cannot read the app version from the applications API (code {}, log_id {}); {}", r.code(), r.logId(),
                        apiVersion != null ? "keeping " + apiVersion : "using the fallback");
                Duration wait = r.retryAfter() != null && r.retryAfter().compareTo(VERSION_RETRY) > 0 ? r.retryAfter() : VERSION_RETRY;
                versionCheckAfter = now.plus(wait);
            }
            return apiVersion;
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
