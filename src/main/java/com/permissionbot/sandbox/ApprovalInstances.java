package com.permissionbot.sandbox;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Approval instances of the tenant's approval definitions and their status changes, each of which the platform
 * reports as an {@code approval_instance} event, but only to an app that subscribed to the definition
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event).
 * Listeners (the event pusher) get every change with whether it is delivered, one at a time and in the order the
 * changes happened (the platform delivers an instance's events in order).
 */
public final class ApprovalInstances {
    private static final Logger log = LoggerFactory.getLogger(ApprovalInstances.class);

    /** One status change: {@code delivered} when the app had subscribed to the definition at that moment. */
    public record Change(String approvalCode, String instanceCode, String status, Instant at, boolean delivered) {
    }

    /** One instance with its current status and every status it had, oldest first. */
    public record Instance(String instanceCode, String approvalCode, String status, List<Change> history) {
        public Instance {
            history = List.copyOf(history);
        }
    }

    public static final List<String> STATUSES = List.of("PENDING", "APPROVED", "REJECTED", "CANCELED", "DELETED",
            "REVERTED", "OVERTIME_CLOSE", "OVERTIME_RECOVER");

    /** Where each status may go next; REJECTED, CANCELED, DELETED and REVERTED end an instance. */
    private static final Map<String, Set<String>> NEXT = Map.of(
            "PENDING", Set.of("APPROVED", "REJECTED", "CANCELED", "DELETED", "OVERTIME_CLOSE"),
            "OVERTIME_RECOVER", Set.of("APPROVED", "REJECTED", "CANCELED", "DELETED", "OVERTIME_CLOSE"),
            "OVERTIME_CLOSE", Set.of("OVERTIME_RECOVER", "DELETED"),
            "APPROVED", Set.of("REVERTED"));

    private final TenantState tenant;
    private final Clock clock;
    private final Map<String, List<Change>> byInstance = new LinkedHashMap<>();
    private final Map<String, String> definitionOf = new LinkedHashMap<>();
    private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
    /** Recorded changes not yet told to the listeners (guarded by {@code this}), oldest first. */
    private final Deque<Change> outbox = new ArrayDeque<>();
    /** Held while telling the listeners, so they hear changes one at a time and in order. */
    private final Object telling = new Object();

    ApprovalInstances(TenantState tenant, Clock clock) {
        this.tenant = tenant;
        this.clock = clock;
    }

    /** Called with every change, after it is recorded, outside the state lock, one change at a time, oldest first. */
    public void onChange(Consumer<Change> listener) {
        listeners.add(listener);
    }

    /** Someone submits an instance of a definition: it starts PENDING. */
    public Change create(String approvalCode) {
        String instanceCode = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
        Change c;
        synchronized (this) {
            // checked under the lock, so a definition being deleted cannot get a new instance that stays PENDING
            if (!tenant.approvalDefinitions().contains(approvalCode)) {
                throw new IllegalArgumentException("no approval definition " + approvalCode);
            }
            definitionOf.put(instanceCode, approvalCode);
            c = record(approvalCode, instanceCode, "PENDING");
        }
        tell();
        return c;
    }

    /** The instance moves to {@code status}, if that is a step the platform allows from where it is. */
    public Change change(String instanceCode, String status) {
        String next = status == null ? "" : status.trim().toUpperCase(Locale.ROOT);
        Change c;
        synchronized (this) {
            List<Change> h = byInstance.get(instanceCode);
            if (h == null) throw new IllegalArgumentException("no approval instance " + instanceCode);
            String now = h.get(h.size() - 1).status();
            if (!NEXT.getOrDefault(now, Set.of()).contains(next)) {
                throw new IllegalArgumentException("an instance that is " + now + " cannot become " + next);
            }
            c = record(definitionOf.get(instanceCode), instanceCode, next);
        }
        tell();
        return c;
    }

    /**
     * The definition is deleted: its unfinished instances become DELETED (reported while the app is still
     * subscribed), then the definition and the app's subscription to it go.
     */
    public List<Change> deleteDefinition(String approvalCode) {
        List<Change> out = new ArrayList<>();
        synchronized (this) {
            if (!tenant.approvalDefinitions().contains(approvalCode)) {
                throw new IllegalArgumentException("no approval definition " + approvalCode);
            }
            for (Map.Entry<String, List<Change>> e : byInstance.entrySet()) {
                List<Change> h = e.getValue();
                String now = h.get(h.size() - 1).status();
                if (approvalCode.equals(definitionOf.get(e.getKey())) && NEXT.getOrDefault(now, Set.of()).contains("DELETED")) {
                    out.add(record(approvalCode, e.getKey(), "DELETED"));
                }
            }
            tenant.removeApprovalDefinition(approvalCode);
        }
        tell();
        return out;
    }

    /** Replaces every instance with earlier ones (a restart of sandbox mode); tells no listener. */
    public synchronized void restore(List<Instance> earlier) {
        byInstance.clear();
        definitionOf.clear();
        for (Instance i : earlier) {
            if (i.history().isEmpty()) throw new IllegalArgumentException("instance " + i.instanceCode() + " has no history");
            byInstance.put(i.instanceCode(), new ArrayList<>(i.history()));
            definitionOf.put(i.instanceCode(), i.approvalCode());
        }
    }

    public synchronized List<Instance> instances() {
        List<Instance> out = new ArrayList<>();
        byInstance.forEach((code, h) -> out.add(new Instance(code, definitionOf.get(code), h.get(h.size() - 1).status(), h)));
        return out;
    }

    public synchronized Instance instance(String instanceCode) {
        List<Change> h = byInstance.get(instanceCode);
        if (h == null) throw new IllegalArgumentException("no approval instance " + instanceCode);
        return new Instance(instanceCode, definitionOf.get(instanceCode), h.get(h.size() - 1).status(), h);
    }

    /** The statuses an instance may move to next. */
    public synchronized Set<String> next(String instanceCode) {
        List<Change> h = byInstance.get(instanceCode);
        return h == null ? Set.of() : NEXT.getOrDefault(h.get(h.size() - 1).status(), Set.of());
    }

    private Change record(String approvalCode, String instanceCode, String status) {
        // whole milliseconds, as operate_time carries them, so two changes never share an operate_time
        Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        List<Change> h = byInstance.computeIfAbsent(instanceCode, k -> new ArrayList<>());
        if (!h.isEmpty() && !at.isAfter(h.get(h.size() - 1).at())) at = h.get(h.size() - 1).at().plusMillis(1);
        Change c = new Change(approvalCode, instanceCode, status, at, tenant.isSubscribed(approvalCode));
        h.add(c);
        outbox.addLast(c);
        tenant.changed();
        return c;
    }

    /** Tells the listeners every change recorded so far and not yet told, in the order they were recorded. */
    private void tell() {
        synchronized (telling) {
            while (true) {
                Change c;
                synchronized (this) {
                    c = outbox.pollFirst();
                }
                if (c == null) return;
                for (Consumer<Change> l : listeners) {
                    try {
                        l.accept(c);
                    } catch (RuntimeException e) {
                        // one listener's failure neither stops the others nor loses later changes
                        log.warn("approval instance listener failed on {} {}: {}", c.instanceCode(), c.status(), e.toString());
                    }
                }
            }
        }
    }
}
