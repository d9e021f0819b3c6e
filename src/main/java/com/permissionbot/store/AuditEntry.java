package com.permissionbot.store;

import java.time.Instant;

/** One audited action: who did what in which chat, with the platform's code and log_id. */
public record AuditEntry(Instant at, String tenantKey, String chatId, String actor, String action,
                         String detail, Integer code, String logId) {}
