package com.permissionbot.inbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The durable, de-duplicating front of event handling: a row is stored before the platform gets its 200, and a
 * key seen before (in the Caffeine cache, else by the store's unique keys) is dropped.
 */
public final class Inbox {
    private final Store store;
    private final Clock clock;
    private final Duration lease;
    private final String owner;
    private final Cache<String, Boolean> seen;

    public Inbox(Store store, Clock clock, Duration lease, Duration retention, String owner) {
        this.store = store;
        this.clock = clock;
        this.lease = lease;
        this.owner = owner;
        this.seen = Caffeine.newBuilder().maximumSize(200_000).expireAfterWrite(retention).build();
    }

    /**
     * Stores an event leased to this process; empty when it is a duplicate. {@code dedupKey} is the message_id for
     * messages and the event id otherwise; {@code eventId} (event_id or uuid) is unique on its own too.
     */
    public Optional<InboxRow> accept(String dedupKey, String eventId, String type, String tenantKey, String payload) {
        if (seen.getIfPresent(dedupKey) != null || (eventId != null && seen.getIfPresent("event:" + eventId) != null)) {
            return Optional.empty();
        }
        var now = clock.instant();
        Optional<InboxRow> stored = store.inboxInsert(
                InboxRow.incoming(dedupKey, eventId, type, tenantKey, payload, now), owner, now.plus(lease));
        seen.put(dedupKey, Boolean.TRUE);
        if (eventId != null) seen.put("event:" + eventId, Boolean.TRUE);
        return stored;
    }

    public String owner() {
        return owner;
    }
}
