package com.permissionbot.store;

import java.time.Instant;
import java.util.List;

/**
 * One successful application to the tenant admin: who asked from which chat and card, the ungranted scopes it
 * swept, and whether the admin has granted them yet ({@link #PENDING} until a watcher resolves it); {@code reason} is
 * what the requester typed with it ({@link com.permissionbot.domain.Reason}), empty for none.
 */
public record ApplyRequest(long id, String tenantKey, String chatId, String messageId, String requesterOpenId,
                           String appVersion, List<String> scopes, String status, Instant createdAt, Instant grantedAt,
                           String reason) {

    public static final String PENDING = "pending";
    public static final String GRANTED = "granted";
    public static final String PARTIAL = "partial";
    public static final String EXPIRED = "expired";

    public ApplyRequest {
        scopes = List.copyOf(scopes);
        reason = reason == null ? "" : reason;
    }

    /** A request not yet stored, pending, without a reason. */
    public static ApplyRequest pending(String tenantKey, String chatId, String messageId, String requesterOpenId,
                                       String appVersion, List<String> scopes, Instant createdAt) {
        return pending(tenantKey, chatId, messageId, requesterOpenId, appVersion, scopes, "", createdAt);
    }

    /** A request not yet stored, pending. */
    public static ApplyRequest pending(String tenantKey, String chatId, String messageId, String requesterOpenId,
                                       String appVersion, List<String> scopes, String reason, Instant createdAt) {
        return new ApplyRequest(0, tenantKey, chatId, messageId, requesterOpenId, appVersion, scopes, PENDING, createdAt,
                null, reason);
    }
}
