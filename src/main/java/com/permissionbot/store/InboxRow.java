package com.permissionbot.store;

import java.time.Instant;

/** One acknowledged event in the durable inbox; {@code dedupKey} and {@code eventId} are both unique. */
public record InboxRow(long id, String dedupKey, String eventId, String eventType, String tenantKey,
                       String payload, String status, int attempts, Instant receivedAt) {

    public static final String WORKING = "working";
    public static final String PENDING = "pending";
    public static final String DONE = "done";
    public static final String FAILED = "failed";

    /** A row not yet stored. */
    public static InboxRow incoming(String dedupKey, String eventId, String eventType, String tenantKey,
                                    String payload, Instant receivedAt) {
        return new InboxRow(0, dedupKey, eventId, eventType, tenantKey, payload, WORKING, 1, receivedAt);
    }
}
