package com.permissionbot.approval;

import com.permissionbot.approval.SubscribeOutcome.Kind;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Approval subscriptions: which chat follows which approval definition, kept in the
 * store, and the app's subscription on the platform, turned on when a chat subscribes and off when the last chat
 * leaves (https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe). Changes to one
 * code are made one at a time across replicas (a store lease), so an unsubscribe racing a subscribe elsewhere never
 * leaves a chat registered while the platform is unsubscribed.
 */
public final class ApprovalService {
    private static final Logger log = LoggerFactory.getLogger(ApprovalService.class);

    public static final int CODE_PARAM_INVALID = 1390001;
    public static final int CODE_NOT_FOUND = 1390002;
    /** "subscription existed"; for unsubscribe, already unsubscribed. */
    public static final int CODE_SUBSCRIPTION_EXISTED = 1390007;
    public static final int CODE_SERVICE_ERROR = 1395001;
    /** https://open.feishu.cn/document/faq/trouble-shooting/how-to-fix-the-99991672-error */
    public static final int CODE_MISSING_SCOPE = 99991672;
    /** How long one replica may hold a code while it changes its subscription (its calls end well within it). */
    static final Duration CODE_LEASE = Duration.ofSeconds(60);
    public static final String ACTION_SUBSCRIBE = "approval.subscribe";
    public static final String ACTION_UNSUBSCRIBE = "approval.unsubscribe";
    /** The actor of start-up subscriptions in the audit log. */
    public static final String CONFIG_ACTOR = "bot-config.yaml";

    private final FeishuGateway gateway;
    private final Store store;
    private final Clock clock;
    private final Set<String> configured;
    private final RetryPolicy retry;
    private final String owner;
    private final Map<String, ReentrantLock> codeLocks = new ConcurrentHashMap<>();

    /**
     * {@code configuredCodes}: {@code approval.subscribe} of bot-config.yaml, subscribed at start-up and never turned
     * off; {@code owner}: this process, for the store lease per code.
     */
    public ApprovalService(FeishuGateway gateway, RetryPolicy retry, Store store, Clock clock, List<String> configuredCodes,
                           String owner) {
        this.gateway = gateway;
        this.retry = retry;
        this.store = store;
        this.clock = clock;
        this.configured = configuredCodes == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(configuredCodes));
        this.owner = owner;
    }

    /** Subscribes the app to the code's events and registers the chat; 1390007 counts as success. */
    public SubscribeOutcome subscribe(String tenantKey, String chatId, String by, String code) {
        if (!ApprovalCode.valid(code)) return new SubscribeOutcome(Kind.INVALID_CODE, code, 0, "", "", null, 0, null);
        return oneAtATime(code, () -> {
            Optional<ApprovalSubscription> earlier = store.approvalSubscription(code, chatId);
            RetryPolicy.Tried<Void> call = subscribeCall(code);
            PlatformResult<Void> r = call.result();
            Kind kind = kindOf(r);
            if (kind == Kind.SUBSCRIBED || kind == Kind.ALREADY_SUBSCRIBED) {
                store.addApprovalSubscription(new ApprovalSubscription(code, chatId, tenantKey, by, clock.instant()));
            }
            audit(tenantKey, chatId, by, ACTION_SUBSCRIBE, code, r);
            log.info("approval {}: subscribe for chat {} by {}: {} (code {}, log_id {}, {} call(s))", code, chatId, by, kind,
                    r.code(), r.logId(), call.calls());
            return new SubscribeOutcome(kind, code, r.code(), r.msg(), r.logId(),
                    kind == Kind.RATE_LIMITED ? r.retryAfter() : null, call.calls(), earlier.orElse(null));
        });
    }

    /**
     * Removes the chat's registration; the platform's unsubscribe is called only when no other chat still
     * subscribes the code and it is not in bot-config.yaml.
     */
    public UnsubscribeOutcome unsubscribe(String tenantKey, String chatId, String by, String code) {
        if (!ApprovalCode.valid(code)) {
            return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.INVALID_CODE, code, 0, false, false, 0, "", "", null);
        }
        return oneAtATime(code, () -> {
            boolean inConfig = configured.contains(code);
            if (!store.removeApprovalSubscription(code, chatId)) {
                int others = store.approvalSubscribers(code).size();
                return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.NOT_SUBSCRIBED, code, others, inConfig, false, 0, "", "", null);
            }
            int others = store.approvalSubscribers(code).size();
            if (others > 0 || inConfig) {
                audit(tenantKey, chatId, by, ACTION_UNSUBSCRIBE, code, null);
                log.info("approval {}: chat {} unsubscribed by {}; the app stays subscribed ({} other chat(s){})", code, chatId,
                        by, others, inConfig ? ", in bot-config.yaml" : "");
                return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, code, others, inConfig, false, 0, "", "", null);
            }
            // https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/unsubscribe
            RetryPolicy.Tried<Void> call = retry.tried("approval unsubscribe " + code, () -> gateway.unsubscribeApproval(code),
                    Set.of(CODE_SERVICE_ERROR));
            PlatformResult<Void> r = call.result();
            audit(tenantKey, chatId, by, ACTION_UNSUBSCRIBE, code, r);
            log.info("approval {}: chat {} unsubscribed by {}; the app's subscription turned off: code {}, log_id {}, {} call(s)",
                    code, chatId, by, r.code(), r.logId(), call.calls());
            return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, code, 0, false, true, r.code(), r.msg(),
                    r.logId(), r.rateLimited() ? r.retryAfter() : null);
        });
    }

    /** This chat's subscriptions, oldest first. */
    public List<ApprovalSubscription> subscriptions(String chatId) {
        return store.approvalSubscriptionsOf(chatId);
    }

    /** Whether the code is subscribed at start-up from bot-config.yaml. */
    public boolean configured(String code) {
        return configured.contains(code);
    }

    /**
     * Subscribes the app to every code in bot-config.yaml (checked when the configuration was read), without a chat;
     * idempotent (1390007 is fine). Each outcome is logged and audited.
     */
    public List<SubscribeOutcome> subscribeConfigured() {
        List<SubscribeOutcome> out = new ArrayList<>();
        for (String code : configured) {
            try {
                out.add(oneAtATime(code, () -> {
                    RetryPolicy.Tried<Void> call = subscribeCall(code);
                    PlatformResult<Void> r = call.result();
                    Kind kind = kindOf(r);
                    audit(null, null, CONFIG_ACTOR, ACTION_SUBSCRIBE, code, r);
                    if (kind == Kind.SUBSCRIBED || kind == Kind.ALREADY_SUBSCRIBED) {
                        log.info("approval {} from bot-config.yaml: {} (code {}, log_id {})", code, kind, r.code(), r.logId());
                    } else {
                        log.warn("approval {} from bot-config.yaml: subscribe failed: {} code {} '{}' log_id {} after {} call(s)",
                                code, kind, r.code(), r.msg(), r.logId(), call.calls());
                    }
                    return new SubscribeOutcome(kind, code, r.code(), r.msg(), r.logId(),
                            kind == Kind.RATE_LIMITED ? r.retryAfter() : null, call.calls(), null);
                }));
            } catch (RuntimeException e) {
                log.error("approval {} from bot-config.yaml: subscribe failed: {}", code, e.toString());
            }
        }
        return out;
    }

    static Kind kindOf(PlatformResult<?> r) {
        if (r.ok()) return Kind.SUBSCRIBED;
        if (r.rateLimited()) return Kind.RATE_LIMITED;
        return switch (r.code()) {
            case CODE_SUBSCRIPTION_EXISTED -> Kind.ALREADY_SUBSCRIBED;
            case CODE_PARAM_INVALID -> Kind.PARAM_INVALID;
            case CODE_NOT_FOUND -> Kind.NOT_FOUND;
            case CODE_SERVICE_ERROR -> Kind.SERVICE_ERROR;
            case CODE_MISSING_SCOPE -> Kind.MISSING_SCOPE;
            default -> r.uncertain() ? Kind.UNCERTAIN : Kind.FAILED;
        };
    }

    /**
     * The subscribe call, repeated by the retry policy while the platform answers 1395001 or nothing. When an earlier
     * call got no answer, a later "subscription existed" (1390007) is most likely that call's own doing, so it counts
     * as subscribing now rather than as "already subscribed".
     */
    private RetryPolicy.Tried<Void> subscribeCall(String code) {
        RetryPolicy.Tried<Void> t = retry.tried("approval subscribe " + code, () -> gateway.subscribeApproval(code),
                Set.of(CODE_SERVICE_ERROR));
        PlatformResult<Void> r = t.result();
        if (r.code() == CODE_SUBSCRIPTION_EXISTED && t.unanswered()) {
            return new RetryPolicy.Tried<>(new PlatformResult<>(0, r.msg(), r.logId(), r.httpStatus(), null, null), t.calls(), true);
        }
        return t;
    }

    /**
     * Runs {@code work} while holding the code: a lock in this process and a lease in the store for the other replicas,
     * waited for at most as long as a lease lasts (a holder that died gives it up by then).
     */
    private <T> T oneAtATime(String code, Supplier<T> work) {
        ReentrantLock local = codeLocks.computeIfAbsent(code, k -> new ReentrantLock());
        local.lock();
        String lease = "approval:" + code;
        try {
            long giveUp = System.nanoTime() + CODE_LEASE.toNanos();
            while (!store.tryLease(lease, owner, clock.instant(), CODE_LEASE)) {
                if (System.nanoTime() > giveUp) throw new IllegalStateException("approval " + code + " stays held by another replica");
                Thread.sleep(100);
            }
            try {
                return work.get();
            } finally {
                store.releaseLease(lease, owner);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for approval " + code);
        } finally {
            local.unlock();
        }
    }

    private void audit(String tenantKey, String chatId, String by, String action, String code, PlatformResult<?> r) {
        try {
            store.audit(new AuditEntry(clock.instant(), tenantKey, chatId, by, action, code, r == null ? null : r.code(),
                    r == null ? null : r.logId()));
        } catch (RuntimeException e) {
            log.error("cannot write the audit row for {} of approval {}: {}", action, code, e.getMessage());
        }
    }
}
