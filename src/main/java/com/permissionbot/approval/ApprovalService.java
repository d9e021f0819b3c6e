package com.permissionbot.approval;

import com.permissionbot.approval.SubscribeOutcome.Kind;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
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
 * Approval subscriptions (design §1, protocol §2.3): which chat follows which approval definition, kept in the
 * store, and the app's subscription on the platform, turned on when a chat subscribes and off when the last chat
 * leaves (https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe).
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
    /** Calls per subscribe or unsubscribe at most, while the platform answers 1395001 or not at all. */
    public static final int MAX_TRIES = 3;
    public static final String ACTION_SUBSCRIBE = "approval.subscribe";
    public static final String ACTION_UNSUBSCRIBE = "approval.unsubscribe";
    /** The actor of start-up subscriptions in the audit log. */
    public static final String CONFIG_ACTOR = "bot-config.yaml";

    private final FeishuGateway gateway;
    private final Store store;
    private final Clock clock;
    private final Set<String> configured;
    private final Backoff backoff;
    private final Map<String, ReentrantLock> codeLocks = new ConcurrentHashMap<>();

    /** {@code configuredCodes}: {@code approval.subscribe} of bot-config.yaml, subscribed at start-up and never turned off. */
    public ApprovalService(FeishuGateway gateway, Store store, Clock clock, List<String> configuredCodes, Backoff backoff) {
        this.gateway = gateway;
        this.store = store;
        this.clock = clock;
        this.configured = configuredCodes == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(configuredCodes));
        this.backoff = backoff;
    }

    /** Subscribes the app to the code's events and registers the chat; 1390007 counts as success. */
    public SubscribeOutcome subscribe(String tenantKey, String chatId, String by, String code) {
        if (!ApprovalCode.valid(code)) return new SubscribeOutcome(Kind.INVALID_CODE, code, 0, "", "", null, 0, null);
        ReentrantLock lock = lockFor(code);
        lock.lock();
        try {
            Optional<ApprovalSubscription> earlier = store.approvalSubscription(code, chatId);
            Call call = call(() -> gateway.subscribeApproval(code));
            PlatformResult<Void> r = call.result;
            Kind kind = kindOf(r);
            if (kind == Kind.SUBSCRIBED || kind == Kind.ALREADY_SUBSCRIBED) {
                store.addApprovalSubscription(new ApprovalSubscription(code, chatId, tenantKey, by, clock.instant()));
            }
            audit(tenantKey, chatId, by, ACTION_SUBSCRIBE, code, r);
            log.info("approval {}: subscribe for chat {} by {}: {} (code {}, log_id {}, {} call(s))", code, chatId, by, kind,
                    r.code(), r.logId(), call.tries);
            return new SubscribeOutcome(kind, code, r.code(), r.msg(), r.logId(),
                    kind == Kind.RATE_LIMITED ? r.retryAfter() : null, call.tries, earlier.orElse(null));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the chat's registration; the platform's unsubscribe is called only when no other chat still
     * subscribes the code and it is not in bot-config.yaml.
     */
    public UnsubscribeOutcome unsubscribe(String tenantKey, String chatId, String by, String code) {
        if (!ApprovalCode.valid(code)) {
            return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.INVALID_CODE, code, 0, false, false, 0, "", "", null);
        }
        ReentrantLock lock = lockFor(code);
        lock.lock();
        try {
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
            Call call = call(() -> gateway.unsubscribeApproval(code));
            PlatformResult<Void> r = call.result;
            audit(tenantKey, chatId, by, ACTION_UNSUBSCRIBE, code, r);
            log.info("approval {}: chat {} unsubscribed by {}; the app's subscription turned off: code {}, log_id {}, {} call(s)",
                    code, chatId, by, r.code(), r.logId(), call.tries);
            return new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, code, 0, false, true, r.code(), r.msg(),
                    r.logId(), r.rateLimited() ? r.retryAfter() : null);
        } finally {
            lock.unlock();
        }
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
     * Subscribes the app to every code in bot-config.yaml, without a chat; idempotent (1390007 is fine). Each
     * outcome is logged and audited; invalid codes are logged and skipped.
     */
    public List<SubscribeOutcome> subscribeConfigured() {
        List<SubscribeOutcome> out = new ArrayList<>();
        for (String code : configured) {
            if (!ApprovalCode.valid(code)) {
                log.error("bot-config.yaml approval.subscribe: '{}' is not an approval code ({}-{} letters, digits or hyphens); skipped",
                        code, ApprovalCode.MIN_LENGTH, ApprovalCode.MAX_LENGTH);
                out.add(new SubscribeOutcome(Kind.INVALID_CODE, code, 0, "", "", null, 0, null));
                continue;
            }
            ReentrantLock lock = lockFor(code);
            lock.lock();
            try {
                Call call = call(() -> gateway.subscribeApproval(code));
                PlatformResult<Void> r = call.result;
                Kind kind = kindOf(r);
                audit(null, null, CONFIG_ACTOR, ACTION_SUBSCRIBE, code, r);
                if (kind == Kind.SUBSCRIBED || kind == Kind.ALREADY_SUBSCRIBED) {
                    log.info("approval {} from bot-config.yaml: {} (code {}, log_id {})", code, kind, r.code(), r.logId());
                } else {
                    log.warn("approval {} from bot-config.yaml: subscribe failed: {} code {} '{}' log_id {} after {} call(s)",
                            code, kind, r.code(), r.msg(), r.logId(), call.tries);
                }
                out.add(new SubscribeOutcome(kind, code, r.code(), r.msg(), r.logId(),
                        kind == Kind.RATE_LIMITED ? r.retryAfter() : null, call.tries, null));
            } catch (RuntimeException e) {
                log.error("approval {} from bot-config.yaml: subscribe failed: {}", code, e.toString());
            } finally {
                lock.unlock();
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

    /** One platform call, repeated (with the back-off between) while it answers 1395001 or nothing, at most {@link #MAX_TRIES}. */
    private Call call(Supplier<PlatformResult<Void>> platform) {
        int tries = 0;
        while (true) {
            tries++;
            PlatformResult<Void> r;
            try {
                r = platform.get();
            } catch (RuntimeException e) {
                r = PlatformResult.network(e.getClass().getSimpleName());
            }
            boolean again = !r.rateLimited() && (r.code() == CODE_SERVICE_ERROR || r.uncertain());
            if (!again || tries >= MAX_TRIES) return new Call(r, tries);
            try {
                backoff.pause(tries);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Call(r, tries);
            }
        }
    }

    private record Call(PlatformResult<Void> result, int tries) {}

    private ReentrantLock lockFor(String code) {
        return codeLocks.computeIfAbsent(code, k -> new ReentrantLock());
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
