package com.permissionbot.store;

import java.time.Instant;
import java.util.List;

/**
 * The status history of one approval instance as shown in one chat, sorted by operate_time, with a version for
 * optimistic updates (0 for a card not stored yet). The card itself reaches the chat through the outbox, in the card
 * slot named by {@link #slot}.
 */
public record ApprovalCard(String chatId, String instanceCode, String approvalCode, String tenantKey,
                           List<ApprovalStatusChange> history, long version, Instant updatedAt) {

    public ApprovalCard {
        history = List.copyOf(history);
    }

    /** A card not stored yet, with no history. */
    public static ApprovalCard fresh(String chatId, String instanceCode, String approvalCode, String tenantKey, Instant now) {
        return new ApprovalCard(chatId, instanceCode, approvalCode, tenantKey, List.of(), 0, now);
    }

    public ApprovalCard with(List<ApprovalStatusChange> newHistory, Instant now) {
        return new ApprovalCard(chatId, instanceCode, approvalCode, tenantKey, newHistory, version, now);
    }

    /** The outbox card slot of this instance in this chat (one message, sent once and updated after). */
    public String slot() {
        return "approval:" + chatId + ":" + instanceCode;
    }
}
