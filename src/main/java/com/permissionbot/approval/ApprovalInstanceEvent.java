package com.permissionbot.approval;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One {@code approval_instance} event (schema 1.0), reduced to what the status cards need: the envelope's
 * {@code uuid}, the tenant, the definition and instance codes, the raw status and when it changed
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event).
 */
public record ApprovalInstanceEvent(String eventId, String tenantKey, String approvalCode, String instanceCode,
                                    String status, Instant operateTime) {

    /** Millisecond timestamps below this are read as seconds (10^11 ms is in 1973). */
    private static final long SECONDS_BELOW = 100_000_000_000L;
    private static final Pattern NUMBER = Pattern.compile("\\d{1,19}(\\.\\d+)?");

    /**
     * Reads the decrypted envelope. {@code operate_time} is a millisecond string, but an integer for REVERTED
     * (protocol §2.3): both are read; without it, {@code instance_operate_time}, then the envelope's {@code ts},
     * then {@code now}. Throws {@link IllegalArgumentException} naming what is missing.
     */
    public static ApprovalInstanceEvent parse(JsonNode body, Instant now) {
        JsonNode e = body.path("event");
        String eventId = text(body, "uuid");
        String type = text(e, "type");
        if (!type.isEmpty() && !"approval_instance".equals(type)) {
            throw new IllegalArgumentException("not an approval_instance event: " + type);
        }
        String approvalCode = text(e, "approval_code");
        String instanceCode = text(e, "instance_code");
        String status = text(e, "status");
        if (approvalCode.isEmpty()) throw new IllegalArgumentException("approval_code is missing");
        if (instanceCode.isEmpty()) throw new IllegalArgumentException("instance_code is missing");
        if (status.isEmpty()) throw new IllegalArgumentException("status is missing");
        Instant at = millis(e.path("operate_time"))
                .or(() -> millis(e.path("instance_operate_time")))
                .or(() -> millis(body.path("ts")))
                .orElse(now);
        return new ApprovalInstanceEvent(eventId, text(e, "tenant_key"), approvalCode, instanceCode, status, at);
    }

    /** A timestamp given as an integer or a string of digits (milliseconds, or seconds with a fraction). */
    static Optional<Instant> millis(JsonNode v) {
        BigDecimal n;
        if (v.isNumber()) {
            n = v.decimalValue();
        } else if (v.isTextual() && NUMBER.matcher(v.asText().trim()).matches()) {
            n = new BigDecimal(v.asText().trim());
        } else {
            return Optional.empty();
        }
        if (n.signum() <= 0) return Optional.empty();
        long ms = n.compareTo(BigDecimal.valueOf(SECONDS_BELOW)) < 0 ? n.movePointRight(3).longValue() : n.longValue();
        return Optional.of(Instant.ofEpochMilli(ms));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isValueNode() && !v.isNull() ? v.asText("").trim() : "";
    }
}
