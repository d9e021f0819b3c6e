package com.permissionbot.inbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.permissionbot.store.InboxFinish;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The durable, de-duplicating front of event handling: a row is stored before the platform gets its 200, and a
 * key seen before (in the Caffeine cache, else by the store's unique keys) is dropped.
 */
public final class Inbox implements AutoCloseable {
    private static final int RECENT_KEYS = 20_000;
    private final Clock clock;
    private final String owner;
    private final Cache<String, Boolean> seen;
    private final GroupCommit writer;

    public Inbox(Store store, Clock clock, Duration lease, Duration retention, String owner) {
        this.clock = clock;
        this.owner = owner;
        // a fast path for the platform's quick re-deliveries (the store's unique keys are the real de-duplication);
        // its upkeep runs on the calling thread instead of waking the common pool for every write
        this.seen = Caffeine.newBuilder().executor(Runnable::run).maximumSize(RECENT_KEYS).expireAfterWrite(retention).build();
        this.writer = new GroupCommit(store, clock, lease, owner);
    }

    /**
     * Stores an event leased to this process, completing once it is committed; empty when it is a duplicate. {@code dedupKey} is the message_id for
     * messages and the event id otherwise; {@code eventId} (event_id or uuid) is unique on its own too.
     */
    public CompletableFuture<Optional<InboxRow>> accept(String dedupKey, String eventId, String type, String tenantKey, String payload) {
        if (seen.getIfPresent(dedupKey) != null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return writer.insert(InboxRow.incoming(dedupKey, eventId, type, tenantKey, payload, clock.instant()))
                .thenApply(stored -> {
                    seen.put(dedupKey, Boolean.TRUE);
                    return stored;
                });
    }

    public String owner() {
        return owner;
    }

    /**
     * Marks a handled row done or failed, batched with other writes; completes with false if another owner had taken
     * it over meanwhile.
     */
    public CompletableFuture<Boolean> finish(long id, String status, String error) {
        return writer.finish(new InboxFinish(id, owner, status, error, clock.instant()));
    }

    @Override
    public void close() {
        writer.close();
    }
}
