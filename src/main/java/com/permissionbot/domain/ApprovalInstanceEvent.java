package com.permissionbot.domain;

import java.time.Instant;

/**
 * One {@code approval_instance} event (schema 1.0), reduced to what the status cards need: the envelope's
 * {@code uuid}, the tenant, the definition and instance codes, the raw status and when it changed
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event).
 */
public record ApprovalInstanceEvent(String eventId, String tenantKey, String approvalCode, String instanceCode,
                                    String status, Instant operateTime) {}
