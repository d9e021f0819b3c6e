package com.permissionbot.inbox;

import com.permissionbot.util.Threads;
import com.permissionbot.store.InboxFinish;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Group commit for the inbox: new rows and finished rows that arrive together are written in one transaction each
 * by one writer thread, and every caller still waits until its own write is committed (so an event is acknowledged
 * only once it is stored). A committed batch's futures are completed on another thread (one hand-over per batch), so
 * the writer goes straight back to the database.
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
    /** Completes a committed batch's futures, which writes the HTTP answers waiting on them. */
    private final ExecutorService answers = Executors.newFixedThreadPool(2, Threads.named("inbox-ack"));
    private volatile boolean closed;

    GroupCommit(Store store, Clock clock, Duration lease, String owner) {
        this.store = store;
        this.clock = clock;
        this.lease = lease;
        this.owner = owner;
        this.writer = Threads.named("inbox-writer").newThread(this::run);
        writer.start();
    }

    /** Completes with the stored row (or empty for a duplicate) once its batch is committed, or fails. */
    CompletableFuture<Optional<InboxRow>> insert(InboxRow row) {
        Insert op = new Insert(row, new CompletableFuture<>());
        return queued(op, op.done());
    }

    /** Completes once the row is marked finished (its batch committed): false if another owner had taken it over. */
    CompletableFuture<Boolean> finish(InboxFinish row) {
        Finish op = new Finish(row, new CompletableFuture<>());
        return queued(op, op.done());
    }

    private <R> CompletableFuture<R> queued(Object op, CompletableFuture<R> done) {
        // no timeout of its own (one timer task per row): the writer completes every op, committed, failed or closed
        if (closed || !queue.offer(op)) return CompletableFuture.failedFuture(new IllegalStateException("inbox is not accepting writes"));
        return done;
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
        List<Insert> batch = List.copyOf(ops);
        try {
            List<Optional<InboxRow>> stored = store.inboxInsertAll(batch.stream().map(Insert::row).toList(), owner,
                    clock.instant().plus(lease));
            answer(() -> {
                for (int i = 0; i < batch.size(); i++) batch.get(i).done().complete(stored.get(i));
            });
        } catch (RuntimeException e) {
            answer(() -> batch.forEach(op -> op.done().completeExceptionally(e)));
        }
    }

    private void answer(Runnable batch) {
        try {
            answers.execute(batch);
        } catch (RejectedExecutionException closing) {
            batch.run();
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
        answers.shutdown();
    }
}
