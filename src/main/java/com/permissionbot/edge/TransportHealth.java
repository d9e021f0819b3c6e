package com.permissionbot.edge;

import com.permissionbot.store.TransportReport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this process's transport has seen, for the doctor: the last authenticated request, the requests refused in the
 * last hour by reason (many bad signatures mean a wrong encrypt key), and the long connection's state; written to
 * the store as this process's {@link TransportReport}, so the doctor sees every replica, in chat or beside the bot.
 */
public final class TransportHealth {
    static final Duration WINDOW = Duration.ofHours(1);

    private final String transport;
    private final Clock clock;
    private volatile Instant lastEvent;
    private volatile LongConnection connection;
    private volatile String shutDown;
    /** Refusals by minute (epoch minute) and reason. */
    private final ConcurrentSkipListMap<Long, Map<String, LongAdder>> refused = new ConcurrentSkipListMap<>();

    public TransportHealth(String transport, Clock clock) {
        this.transport = transport;
        this.clock = clock;
    }

    /** The long connection whose state the reports carry. */
    public void follow(LongConnection c) {
        connection = c;
    }

    /** A request that authenticated: signed, over the long connection, or answered by the intake when neither applies. */
    void accepted() {
        lastEvent = clock.instant();
    }

    /** A request refused, by its metric reason. */
    void refused(String reason) {
        long minute = clock.millis() / 60_000;
        refused.computeIfAbsent(minute, m -> new ConcurrentHashMap<>()).computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Marks the reports from now on as those of a process that has shut down. */
    public void shutDown() {
        shutDown = "shut down at " + clock.instant();
    }

    /** This process's report as of now. */
    public TransportReport report(String owner) {
        Instant now = clock.instant();
        long first = now.minus(WINDOW).toEpochMilli() / 60_000;
        refused.headMap(first).clear();
        Map<String, Integer> lastHour = new TreeMap<>();
        refused.values().forEach(m -> m.forEach((reason, n) -> lastHour.merge(reason, n.intValue(), Integer::sum)));
        LongConnection c = connection;
        String stopped = shutDown != null ? shutDown : c == null ? null : c.stopped();
        return new TransportReport(owner, transport, c == null ? null : shutDown == null && c.connected(),
                c == null ? null : c.since(), lastEvent, lastHour, stopped, now);
    }
}
