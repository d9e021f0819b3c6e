package com.permissionbot.approval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.store.ApprovalCard;
import com.permissionbot.store.ApprovalStatusChange;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code approval_instance} events to status cards (protocol §2.3): each chat subscribed to the event's approval
 * code gets one card per instance, sent on the first event and patched in place on later ones
 * (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch). The history is kept sorted by
 * operate_time, so an older event arriving late is listed in its place and never becomes the current status.
 * The card's message_id and history are stored, so a restarted bot keeps updating the same card.
 */
public final class ApprovalEvents {
    private static final Logger log = LoggerFactory.getLogger(ApprovalEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** PATCH allows 5 QPS per message: updates of one card are spaced at least this much. */
    public static final Duration PATCH_INTERVAL = Duration.ofMillis(200);
    /** Status changes kept per card at most (the oldest are dropped). */
    public static final int MAX_HISTORY = 50;
    /** Rounds of read-merge-write when other writers keep changing the same card. */
    static final int MAX_ROUNDS = 5;
    /** IM per-chat / per-message frequency limit (protocol §4.6). */
    static final int CODE_IM_RATE_LIMITED = 230020;
    /** The longest wait before the one retry of a rate-limited send or patch. */
    static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(2);

    private final Store store;
    private final FeishuGateway gateway;
    private final ApprovalCards cards;
    private final Clock clock;
    private final Duration patchInterval;
    private final ReentrantLock[] locks = new ReentrantLock[64];
    /** When each message was last patched (System.nanoTime), to keep under 5 QPS per message. */
    private final Cache<String, Long> lastPatch = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(10)).build();

    /** {@code patchInterval}: {@link #PATCH_INTERVAL}; tests may pass zero. */
    public ApprovalEvents(Store store, FeishuGateway gateway, ApprovalCards cards, Clock clock, Duration patchInterval) {
        this.store = store;
        this.gateway = gateway;
        this.cards = cards;
        this.clock = clock;
        this.patchInterval = patchInterval;
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
    }

    /**
     * The inbox handler for {@code approval_instance}: the decrypted 1.0 envelope as stored in the inbox. A
     * malformed event is logged with its uuid and dropped (a retry would not fix it).
     */
    public void onInstanceEvent(String payloadJson) {
        JsonNode body;
        try {
            body = JSON.readTree(payloadJson);
        } catch (IOException e) {
            log.warn("approval_instance event is not JSON; dropped");
            return;
        }
        ApprovalInstanceEvent e;
        try {
            e = ApprovalInstanceEvent.parse(body, clock.instant());
        } catch (IllegalArgumentException bad) {
            log.warn("event {}: approval_instance dropped: {}", body.path("uuid").asText(""), bad.getMessage());
            return;
        }
        handle(e);
    }

    /** Shows the event in every chat subscribed to its approval code; codes nobody subscribed are logged and dropped. */
    public void handle(ApprovalInstanceEvent e) {
        List<ApprovalSubscription> chats = store.approvalSubscribers(e.approvalCode()).stream()
                .filter(s -> sameTenant(s.tenantKey(), e.tenantKey()))
                .toList();
        if (chats.isEmpty()) {
            log.info("event {}: approval_instance {} of approval {} ({}) has no subscribed chat; dropped", e.eventId(),
                    e.instanceCode(), e.approvalCode(), e.status());
            return;
        }
        for (ApprovalSubscription s : chats) {
            try {
                show(s.chatId(), e);
            } catch (RuntimeException x) {
                log.error("event {}: approval_instance {} could not be shown in chat {}: {}", e.eventId(), e.instanceCode(),
                        s.chatId(), x.toString());
            }
        }
    }

    /** Merges the event into the chat's card for the instance and sends or patches it; repeats when a writer raced it. */
    void show(String chatId, ApprovalInstanceEvent e) {
        ApprovalStatusChange change = new ApprovalStatusChange(e.status(), e.operateTime(), e.eventId());
        ReentrantLock lock = locks[Math.floorMod((chatId + "|" + e.instanceCode()).hashCode(), locks.length)];
        lock.lock();
        try {
            String sentAs = null;
            for (int round = 1; round <= MAX_ROUNDS; round++) {
                ApprovalCard card = store.approvalCard(chatId, e.instanceCode())
                        .orElseGet(() -> ApprovalCard.fresh(chatId, e.instanceCode(), e.approvalCode(), e.tenantKey(), clock.instant()));
                List<ApprovalStatusChange> merged = merge(card.history(), change);
                String messageId = card.messageId() != null ? card.messageId() : sentAs;
                if (merged == card.history() && card.synced() && card.messageId() != null) {
                    log.info("event {}: {} of instance {} is already on card {} in chat {}", e.eventId(), e.status(),
                            e.instanceCode(), card.messageId(), chatId);
                    return;
                }
                Card rendered = cards.instance(card.approvalCode(), e.instanceCode(), merged);
                boolean synced;
                if (messageId == null) {
                    PlatformResult<String> r = send(chatId, rendered, uuid(chatId, e.instanceCode()));
                    synced = r.ok() && r.value() != null;
                    if (synced) sentAs = messageId = r.value();
                    else log.warn("event {}: status card for instance {} to chat {} failed: code {} '{}' log_id {}", e.eventId(),
                            e.instanceCode(), chatId, r.code(), r.msg(), r.logId());
                } else {
                    PlatformResult<Void> r = patch(messageId, rendered);
                    synced = r.ok();
                    if (!synced) log.warn("event {}: updating card {} of instance {} in chat {} failed: code {} '{}' log_id {}",
                            e.eventId(), messageId, e.instanceCode(), chatId, r.code(), r.msg(), r.logId());
                }
                if (store.saveApprovalCard(card.with(merged, messageId, synced, clock.instant()))) {
                    log.info("event {}: instance {} is {} in chat {} (card {}, {} change(s))", e.eventId(), e.instanceCode(),
                            merged.get(merged.size() - 1).status(), chatId, messageId, merged.size());
                    return;
                }
                log.debug("event {}: card of instance {} in chat {} changed meanwhile; merging again", e.eventId(), e.instanceCode(), chatId);
            }
            log.warn("event {}: card of instance {} in chat {} kept changing; gave up after {} rounds", e.eventId(),
                    e.instanceCode(), chatId, MAX_ROUNDS);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The history with the change added, sorted by operate_time (a tie keeps arrival order, so the later report
     * wins), at most {@link #MAX_HISTORY}; the same list when the change is already in it.
     */
    static List<ApprovalStatusChange> merge(List<ApprovalStatusChange> history, ApprovalStatusChange change) {
        for (ApprovalStatusChange h : history) if (h.sameChange(change)) return history;
        List<ApprovalStatusChange> out = new ArrayList<>(history);
        out.add(change);
        out.sort(Comparator.comparing(ApprovalStatusChange::at));
        return out.size() > MAX_HISTORY ? List.copyOf(out.subList(out.size() - MAX_HISTORY, out.size())) : out;
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message/create ; the uuid makes a repeat within 1 h return the same message. */
    private PlatformResult<String> send(String chatId, Card card, String uuid) {
        PlatformResult<String> r = call(() -> gateway.sendCard(chatId, card, uuid));
        if (retryable(r)) {
            pause(r);
            r = call(() -> gateway.sendCard(chatId, card, uuid));
        }
        return r;
    }

    private PlatformResult<Void> patch(String messageId, Card card) {
        pace(messageId);
        PlatformResult<Void> r = call(() -> gateway.updateCard(messageId, card));
        if (retryable(r)) {
            pause(r);
            pace(messageId);
            r = call(() -> gateway.updateCard(messageId, card));
        }
        return r;
    }

    private static <T> PlatformResult<T> call(java.util.function.Supplier<PlatformResult<T>> c) {
        try {
            return c.get();
        } catch (RuntimeException e) {
            return PlatformResult.network(e.getClass().getSimpleName());
        }
    }

    private static boolean retryable(PlatformResult<?> r) {
        return !r.ok() && (r.rateLimited() || r.uncertain() || r.code() == CODE_IM_RATE_LIMITED);
    }

    private void pause(PlatformResult<?> r) {
        Duration wait = r.retryAfter() != null && !r.retryAfter().isNegative() ? r.retryAfter() : patchInterval.multipliedBy(2);
        sleep(wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait);
    }

    /** Waits until {@link #patchInterval} has passed since this message was last patched by this process. */
    private void pace(String messageId) {
        if (patchInterval.isZero() || patchInterval.isNegative()) return;
        Long last = lastPatch.getIfPresent(messageId);
        if (last != null) {
            long waitNanos = last + patchInterval.toNanos() - System.nanoTime();
            if (waitNanos > 0) sleep(Duration.ofNanos(waitNanos));
        }
        lastPatch.put(messageId, System.nanoTime());
    }

    private static void sleep(Duration d) {
        if (d.isZero() || d.isNegative()) return;
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A marketplace app serves many tenants: a chat only sees its own tenant's approvals (an unknown tenant matches). */
    private static boolean sameTenant(String a, String b) {
        return a == null || a.isEmpty() || b == null || b.isEmpty() || a.equals(b);
    }

    /** The send uuid of the card of one instance in one chat: at most 50 characters. */
    static String uuid(String chatId, String instanceCode) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(("approval-card:" + chatId + ":" + instanceCode)
                    .getBytes(StandardCharsets.UTF_8));
            return "pb-" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException x) {
            throw new IllegalStateException(x);
        }
    }
}
