package com.permissionbot.doctor;

import java.time.Instant;
import java.util.List;

/**
 * The doctor's findings, in check order: {@code toApply} are the bot's own scopes the app declares but the tenant has
 * not granted (an Apply asks for them), {@code toDeclare} those the app does not declare (the console link adds them).
 */
public record Report(List<Check> checks, List<String> toApply, List<String> toDeclare, Instant at) {

    public Report {
        checks = List.copyOf(checks);
        toApply = List.copyOf(toApply);
        toDeclare = List.copyOf(toDeclare);
    }

    /** Everything the bot needs works: nothing to fix. */
    public boolean healthy() {
        return checks.stream().noneMatch(c -> c.verdict() == Verdict.FIX);
    }

    public long count(Verdict v) {
        return checks.stream().filter(c -> c.verdict() == v).count();
    }
}
