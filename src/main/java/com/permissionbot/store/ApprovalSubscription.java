package com.permissionbot.store;

import java.time.Instant;

/** One chat's subscription to an approval definition's events: who asked, and when. */
public record ApprovalSubscription(String approvalCode, String chatId, String tenantKey, String subscribedBy,
                                   Instant subscribedAt) {}
