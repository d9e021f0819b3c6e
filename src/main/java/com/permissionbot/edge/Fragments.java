package com.permissionbot.edge;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Joins the parts of a long-connection message ({@code sum > 1}) by {@code message_id} in {@code seq} order (as
 * oapi-sdk-java {@code ws/Client.java} does), under one lock, with bounds: at most {@code maxMessages} messages in
 * parts, {@code maxMessageBytes} for one message, {@code maxBytes} in all, and parts older than {@code maxAge}
 * forgotten (an attempt the platform gave up on is pushed again whole). What breaks a bound is dropped with a WARN
 * line; the platform pushes it again, unacknowledged.
 */
final class Fragments {
    private static final Logger log = LoggerFactory.getLogger(Fragments.class);
    /** More parts than this is not a message we would take (1 MiB in 1 KiB parts). */
    static final int MAX_PARTS = 1024;

    private final int maxMessages;
    private final long maxMessageBytes;
    private final long maxBytes;
    private final long maxAgeNanos;
    private final LongSupplier nanos;
    private final Map<String, Parts> open = new LinkedHashMap<>();
    private long held;

    /** One message's parts so far. */
    private static final class Parts {
        final byte[][] parts;
        final long started;
        int have;
        long bytes;

        Parts(int sum, long started) {
            this.parts = new byte[sum][];
            this.started = started;
        }
    }

    Fragments(int maxMessages, long maxMessageBytes, long maxBytes, Duration maxAge, LongSupplier nanos) {
        this.maxMessages = maxMessages;
        this.maxMessageBytes = maxMessageBytes;
        this.maxBytes = maxBytes;
        this.maxAgeNanos = maxAge.toNanos();
        this.nanos = nanos;
    }

    /** The whole payload once its last part arrived; null while parts are missing, or when this part was dropped. */
    synchronized byte[] add(String messageId, int sum, int seq, byte[] part) {
        long now = nanos.getAsLong();
        expire(now);
        if (messageId == null || messageId.isEmpty() || sum < 2 || sum > MAX_PARTS || seq < 0 || seq >= sum) {
            log.warn("long connection: dropped a part with message_id '{}', sum {}, seq {} (not a usable part)", messageId, sum, seq);
            return null;
        }
        Parts p = open.get(messageId);
        if (p != null && p.parts.length != sum) {
            log.warn("long connection: message {} came in {} parts, then in {}; starting over", messageId, p.parts.length, sum);
            forget(messageId);
            p = null;
        }
        if (p == null) {
            while (open.size() >= maxMessages) evictOldest("more than " + maxMessages + " messages in parts at once");
            p = new Parts(sum, now);
            open.put(messageId, p);
        }
        if (p.parts[seq] != null) return null; // the same part twice: the first stands
        if (p.bytes + part.length > maxMessageBytes) {
            log.warn("long connection: message {} is over {} bytes in parts; dropped", messageId, maxMessageBytes);
            forget(messageId);
            return null;
        }
        while (held + part.length > maxBytes && open.size() > 1) evictOldestBut(messageId);
        p.parts[seq] = part;
        p.have++;
        p.bytes += part.length;
        held += part.length;
        if (p.have < sum) return null;
        forget(messageId);
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) p.bytes);
        for (byte[] b : p.parts) out.writeBytes(b);
        return out.toByteArray();
    }

    /** Messages waiting for parts. */
    synchronized int pending() {
        return open.size();
    }

    /** Bytes held in parts. */
    synchronized long held() {
        return held;
    }

    private void expire(long now) {
        for (Iterator<Map.Entry<String, Parts>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Parts> e = it.next();
            if (now - e.getValue().started <= maxAgeNanos) break; // in arrival order: the rest are younger
            log.warn("long connection: message {} still missed {} of {} parts after {}; dropped", e.getKey(),
                    e.getValue().parts.length - e.getValue().have, e.getValue().parts.length, Duration.ofNanos(maxAgeNanos));
            held -= e.getValue().bytes;
            it.remove();
        }
    }

    private void evictOldest(String why) {
        String oldest = open.keySet().iterator().next();
        log.warn("long connection: dropped the parts of message {} ({})", oldest, why);
        forget(oldest);
    }

    private void evictOldestBut(String keep) {
        for (String id : open.keySet()) {
            if (!id.equals(keep)) {
                log.warn("long connection: dropped the parts of message {} (more than {} bytes in parts at once)", id, maxBytes);
                forget(id);
                return;
            }
        }
    }

    private void forget(String messageId) {
        Parts p = open.remove(messageId);
        if (p != null) held -= p.bytes;
    }
}
