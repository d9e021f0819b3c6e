package com.permissionbot.inbox;

import com.permissionbot.store.InboxFinish;
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
 * Group commit for the inbox: new rows and finished rows that arrive together are written in one transaction each
 * by one writer thread, and every caller still waits until its own write is committed (so an event is acknowledged
 * only once it is stored).
 */
final class GroupCommit implements AutoCloseable {
    static final int MAX_BATCH = 256;

    /** A row to store, and the answer its request waits for. */
    private record Insert(InboxRow row, CompletableFuture<Optional<InboxRow>> done) {}

    /** A handled row to mark finished, and the answer its worker waits for. */
    private record Finish(InboxFinish row, CompletableFuture<Boolean> done) {}

    private final Store store;
    private final Clock clock;
    private final Duration lease;
    private final String owner;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(10_000);
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

    /** Completes with the stored row (or empty for a duplicate) once its batch is committed, or fails. */
    CompletableFuture<Optional<InboxRow>> insert(InboxRow row) {
        Insert op = new Insert(row, new CompletableFuture<>());
        if (closed || !queue.offer(op)) return CompletableFuture.failedFuture(new IllegalStateException("inbox is not accepting writes"));
        return op.done().orTimeout(10, TimeUnit.SECONDS);
    }

    /** Marks a row finished once its batch is committed; false if another owner had taken it over. */
    boolean finish(InboxFinish row) {
        return await(new Finish(row, new CompletableFuture<>()), Finish::done);
    }

    private <T, R> R await(T op, java.util.function.Function<T, CompletableFuture<R>> done) {
        if (closed || !queue.offer(op)) throw new IllegalStateException("inbox is not accepting writes");
        try {
            return done.apply(op).get(10, TimeUnit.SECONDS);
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
        List<Object> batch = new ArrayList<>(MAX_BATCH);
        List<Insert> inserts = new ArrayList<>();
        List<Finish> finishes = new ArrayList<>();
        while (!closed) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            for (Object op : batch) {
                if (op instanceof Insert i) inserts.add(i);
                else finishes.add((Finish) op);
            }
            if (!inserts.isEmpty()) storeInserts(inserts);
            if (!finishes.isEmpty()) storeFinishes(finishes);
            batch.clear();
            inserts.clear();
            finishes.clear();
        }
        for (Object op : queue) {
            var failed = new IllegalStateException("inbox closed");
            if (op instanceof Insert i) i.done().completeExceptionally(failed);
            else ((Finish) op).done().completeExceptionally(failed);
        }
    }

    private void storeInserts(List<Insert> ops) {
        try {
            List<Optional<InboxRow>> stored = store.inboxInsertAll(ops.stream().map(Insert::row).toList(), owner,
                    clock.instant().plus(lease));
            for (int i = 0; i < ops.size(); i++) ops.get(i).done().complete(stored.get(i));
        } catch (RuntimeException e) {
            for (Insert op : ops) op.done().completeExceptionally(e);
        }
    }

    private void storeFinishes(List<Finish> ops) {
        try {
            List<Boolean> ok = store.inboxFinishAll(ops.stream().map(Finish::row).toList());
            for (int i = 0; i < ops.size(); i++) ops.get(i).done().complete(ok.get(i));
        } catch (RuntimeException e) {
            for (Finish op : ops) op.done().completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
    }
}
