package com.permissionbot.approval;

import com.permissionbot.domain.ApprovalInstanceEvent;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.Uuids;
import com.permissionbot.store.ApprovalCard;
import com.permissionbot.store.ApprovalStatusChange;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code approval_instance} events
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event) to status
 * cards: each chat subscribed to the event's approval code gets one card per instance, sent on the first event and
 * patched in place on later ones (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch). The history
 * is kept sorted by operate_time, so an older event arriving late is listed in its place and never becomes the
 * current status.
 * The history and the card it owes the chat are stored in one step, and the outbox delivers the card (sent once,
 * then updated in the same message) until the platform takes it, across outages and restarts.
 */
public final class ApprovalEvents {
    private static final Logger log = LoggerFactory.getLogger(ApprovalEvents.class);

    /** Status changes kept per card at most (the oldest are dropped). */
    public static final int MAX_HISTORY = 50;
    /** Rounds of read-merge-write when other writers keep changing the same card. */
    static final int MAX_ROUNDS = 5;

    private final Store store;
    private final ApprovalCards cards;
    private final Clock clock;
    private final Runnable stored;

    /** {@code cardsStored}: runs after cards were stored, so the outbox delivers them at once. */
    public ApprovalEvents(Store store, ApprovalCards cards, Clock clock, Runnable cardsStored) {
        this.store = store;
        this.cards = cards;
        this.clock = clock;
        this.stored = cardsStored;
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
        // a store failure propagates: the event is handled again later, and chats already done see a duplicate change
        for (ApprovalSubscription s : chats) show(s.chatId(), e);
    }

    /** Merges the event into the chat's history for the instance and stores it with the card it owes; repeats when a writer raced it. */
    void show(String chatId, ApprovalInstanceEvent e) {
        ApprovalStatusChange change = new ApprovalStatusChange(e.status(), e.operateTime(), e.eventId());
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            ApprovalCard card = store.approvalCard(chatId, e.instanceCode())
                    .orElseGet(() -> ApprovalCard.fresh(chatId, e.instanceCode(), e.approvalCode(), e.tenantKey(), clock.instant()));
            List<ApprovalStatusChange> merged = merge(card.history(), change);
            if (merged == card.history()) {
                log.info("event {}: {} of instance {} is already on the card in chat {}", e.eventId(), e.status(), e.instanceCode(), chatId);
                return;
            }
            Card rendered = cards.instance(card.approvalCode(), e.instanceCode(), merged);
            OutboxMessage owed = OutboxMessage.slot(card.slot(), chatId, rendered, uuid(chatId, e.instanceCode()),
                    "event " + e.eventId() + ": status card of instance " + e.instanceCode() + " in chat " + chatId, clock.instant());
            boolean saved = store.atomically(tx -> {
                if (!tx.saveApprovalCard(card.with(merged, clock.instant()))) return false;
                tx.outboxAdd(List.of(owed));
                return true;
            });
            if (saved) {
                stored.run();
                log.info("event {}: instance {} is {} in chat {} ({} change(s))", e.eventId(), e.instanceCode(),
                        merged.get(merged.size() - 1).status(), chatId, merged.size());
                return;
            }
            log.debug("event {}: card of instance {} in chat {} changed meanwhile; merging again", e.eventId(), e.instanceCode(), chatId);
        }
        log.warn("event {}: card of instance {} in chat {} kept changing; gave up after {} rounds", e.eventId(),
                e.instanceCode(), chatId, MAX_ROUNDS);
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

    /** A marketplace app serves many tenants: a chat only sees its own tenant's approvals (an unknown tenant matches). */
    private static boolean sameTenant(String a, String b) {
        return a == null || a.isEmpty() || b == null || b.isEmpty() || a.equals(b);
    }

    /** The send uuid of the card of one instance in one chat (the platform keeps one message per uuid for an hour). */
    static String uuid(String chatId, String instanceCode) {
        return Uuids.of("approval-card", chatId + ":" + instanceCode);
    }
}
