package com.permissionbot.store;

import java.time.Instant;
import java.util.List;

/**
 * The status card of one approval instance in one chat: the message it was sent as (null until sent), the status
 * history sorted by operate_time, whether the card on the platform shows that history ({@code synced}), and a
 * version for optimistic updates (0 for a card not stored yet).
 */
public record ApprovalCard(String chatId, String instanceCode, String approvalCode, String tenantKey, String messageId,
                           List<ApprovalStatusChange> history, boolean synced, long version, Instant updatedAt) {

    public ApprovalCard {
        history = List.copyOf(history);
    }

    /** A card not stored yet, with no history. */
    public static ApprovalCard fresh(String chatId, String instanceCode, String approvalCode, String tenantKey, Instant now) {
        return new ApprovalCard(chatId, instanceCode, approvalCode, tenantKey, null, List.of(), false, 0, now);
    }

    public ApprovalCard with(List<ApprovalStatusChange> newHistory, String newMessageId, boolean nowSynced, Instant now) {
        return new ApprovalCard(chatId, instanceCode, approvalCode, tenantKey, newMessageId, newHistory, nowSynced, version, now);
    }
}
