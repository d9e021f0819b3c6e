package com.permissionbot.inbox;

import com.permissionbot.store.InboxRow;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Group commit for the inbox: rows that arrive together are stored in one transaction by one writer thread, and
 * each request still waits until its own row is committed before it is acknowledged.
 */
final class GroupCommit implements AutoCloseable {
    static final int MAX_BATCH = 256;

    /** A row waiting for the writer, and the answer its request waits for. */
    private record Pending(InboxRow row, CompletableFuture<Optional<InboxRow>> done) {}

    private final Store store;
    private final Clock clock;
    private final Duration lease;
    private final String owner;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>(10_000);
    private final Thread writer;
    private volatile boolean closed;

    GroupCommit(Store store, Clock clock, Duration lease, String owner) {
        this.store = store;
        this.clock = clock;
        this.lease = lease;
        this.owner = owner;
        this.writer = InboxWorker.named("inbox-writer").newThread(this::run);
        writer.start();
    }

    /** Stores the row (or finds it a duplicate) once its batch is committed; throws if the store cannot take it. */
    Optional<InboxRow> insert(InboxRow row) {
        Pending p = new Pending(row, new CompletableFuture<>());
        if (closed || !queue.offer(p)) throw new IllegalStateException("inbox is not accepting events");
        try {
            return p.done().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("inbox write timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                List<Optional<InboxRow>> stored = store.inboxInsertAll(batch.stream().map(Pending::row).toList(), owner,
                        clock.instant().plus(lease));
                for (int i = 0; i < batch.size(); i++) batch.get(i).done().complete(stored.get(i));
            } catch (RuntimeException e) {
                for (Pending p : batch) p.done().completeExceptionally(e);
            }
            batch.clear();
        }
        for (Pending p : queue) p.done().completeExceptionally(new IllegalStateException("inbox closed"));
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
    }
}
