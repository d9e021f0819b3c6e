package com.permissionbot.store;

import java.time.Instant;
import java.util.List;

/**
 * One successful application to the tenant admin: who asked from which chat and card, the ungranted scopes it
 * swept, and whether the admin has granted them yet ({@link #PENDING} until a watcher resolves it).
 */
public record ApplyRequest(long id, String tenantKey, String chatId, String messageId, String requesterOpenId,
                           String appVersion, List<String> scopes, String status, Instant createdAt, Instant grantedAt) {

    public static final String PENDING = "pending";
    public static final String GRANTED = "granted";
    public static final String PARTIAL = "partial";
    public static final String EXPIRED = "expired";

    public ApplyRequest {
        scopes = List.copyOf(scopes);
    }

    /** A request not yet stored, pending. */
    public static ApplyRequest pending(String tenantKey, String chatId, String messageId, String requesterOpenId,
                                       String appVersion, List<String> scopes, Instant createdAt) {
        return new ApplyRequest(0, tenantKey, chatId, messageId, requesterOpenId, appVersion, scopes, PENDING, createdAt, null);
    }
}
