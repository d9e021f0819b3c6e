package com.permissionbot.inbox;

import com.permissionbot.store.InboxFinish;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The durable, de-duplicating front of event handling: a row is stored before the platform gets its 200, and a
 * key the store has seen before (its unique keys) is dropped.
 */
public final class Inbox implements AutoCloseable {
    private final Clock clock;
    private final String owner;
    private final GroupCommit writer;

    public Inbox(Store store, Clock clock, Duration lease, String owner) {
        this.clock = clock;
        this.owner = owner;
        this.writer = new GroupCommit(store, clock, lease, owner);
    }

    /**
     * Stores an event leased to this process, completing once it is committed; empty when it is a duplicate. {@code dedupKey} is the message_id for
     * messages and the event id otherwise; {@code eventId} (event_id or uuid) is unique on its own too.
     */
    public CompletableFuture<Optional<InboxRow>> accept(String dedupKey, String eventId, String type, String tenantKey, String payload) {
        return writer.insert(InboxRow.incoming(dedupKey, eventId, type, tenantKey, payload, clock.instant()));
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
