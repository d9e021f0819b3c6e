package com.permissionbot.cards;

import com.permissionbot.Bot;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.scopes.ApplyOutcome.Kind;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Realistic data for the card tests. */
final class Fixtures {
    static final CardRenderer RENDERER = CardRenderer.load(null, Bot.templates());
    static final String VERSION = "1.4.0";
    static final String NONCE = "n-5f1c2a9e";
    static final String LOG_ID = "20250314173000C5A4E1B2D3F4A5B6C7";
    static final String REQUESTER = "ou_7d8a6e6df7621556ce0d21922b676706";
    static final String REASON = "日历同步要读请假单 (the calendar sync reads leave requests)";

    private Fixtures() {}

    static ScopeStatus scopes() {
        return new ScopeStatus(List.of(
                new ScopeGrant("im:message", true),
                new ScopeGrant("im:message:send_as_bot", true),
                new ScopeGrant("im:chat:readonly", true),
                new ScopeGrant("im:resource", true),
                new ScopeGrant("contact:user.base:readonly", true),
                new ScopeGrant("application:application:self_manage", true),
                new ScopeGrant("approval:approval:readonly", true),
                new ScopeGrant("contact:user.employee_id:readonly", false),
                new ScopeGrant("contact:department.base:readonly", false),
                new ScopeGrant("drive:drive:readonly", false)));
    }

    /** {@code missing} ungranted and {@code granted} granted scopes with plausible names. */
    static ScopeStatus many(int missing, int granted) {
        List<ScopeGrant> out = new ArrayList<>();
        String[] areas = {"contact:user", "im:message", "drive:file", "approval:instance", "calendar:event", "hire:application"};
        for (int i = 0; i < missing + granted; i++) {
            String name = areas[i % areas.length] + ".field_" + String.format("%03d", i) + ":readonly";
            out.add(new ScopeGrant(name, i >= missing));
        }
        return new ScopeStatus(out);
    }

    static Quota quota(int used) {
        return new Quota("2ed263bf32cf1651", VERSION, used, used >= Quota.LIMIT, Instant.parse("2025-03-14T09:30:00Z"), REQUESTER);
    }

    static Quota freshQuota() {
        return new Quota("2ed263bf32cf1651", VERSION, 0, false, null, null);
    }

    static List<String> missingOf(ScopeStatus s) {
        return s.ungranted();
    }

    static ApplyOutcome outcome(Kind kind) {
        List<String> swept = missingOf(scopes());
        return switch (kind) {
            case SUCCESS -> new ApplyOutcome(kind, 0, "success", LOG_ID, null, swept, quota(4));
            case ONLY_SUPER_SCOPES -> new ApplyOutcome(kind, 212001, "only super scope unauthorized", LOG_ID, null,
                    List.of("contact:user.employee_id:readonly"), quota(3));
            case NOTHING_TO_APPLY -> new ApplyOutcome(kind, 212002, "unauthorized scopes were empty", LOG_ID, null, List.of(), quota(3));
            case QUOTA_EXHAUSTED -> new ApplyOutcome(kind, 212003, "approval over limit", LOG_ID, null, swept,
                    new Quota("2ed263bf32cf1651", VERSION, 7, true, Instant.parse("2025-03-14T09:30:00Z"), REQUESTER));
            case DUPLICATE -> new ApplyOutcome(kind, 212004, "duplicate apply", LOG_ID, null, swept, quota(3));
            case NOT_INSTALLED -> new ApplyOutcome(kind, 212100, "app not install", LOG_ID, null, List.of(), null);
            case RATE_LIMITED -> new ApplyOutcome(kind, 99991400, "request trigger frequency limit", LOG_ID,
                    Duration.ofMillis(12_400), swept, quota(3));
            case UNCERTAIN -> new ApplyOutcome(kind, -1, "timeout after 5s", "", null, swept, quota(3));
            case NOT_SENT -> new ApplyOutcome(kind, 500, "HTTP 500", LOG_ID, null, List.of(), quota(3));
            case NOT_ALLOWED -> new ApplyOutcome(kind, 0, "", "", null, List.of(), quota(3));
            case COOLDOWN -> new ApplyOutcome(kind, 0, "", "", Duration.ofSeconds(45), List.of(), quota(4),
                    new com.permissionbot.store.ApplyStart(java.time.Instant.parse("2026-11-22T07:59:15Z"), "ou_alice"));
            case FAILED -> new ApplyOutcome(kind, 99991663, "tenant access token invalid", LOG_ID, null, swept, quota(3));
        };
    }
}
