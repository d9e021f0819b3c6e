package com.permissionbot.inbox;

import com.permissionbot.config.BotConfig;
import com.permissionbot.store.InboxRow;
import com.permissionbot.store.StoreException;
import com.permissionbot.util.Threads;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Works acknowledged inbox rows on a thread pool: new rows are handed over directly after the ack; a poller takes
 * rows left pending or whose lease ran out (a crashed process), and leases of rows in flight are renewed.
 */
public final class InboxWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InboxWorker.class);
    /** A row that was claimed this often without finishing is given up (it probably kills its worker). */
    static final int MAX_ATTEMPTS = 8;
    private final Store store;
    private final Inbox inbox;
    private final Clock clock;
    private final BotConfig.Inbox cfg;
    private final String owner;
    private final Map<String, EventHandler> handlers;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    /** Rows whose handler is running now: never handed back while it runs, or another process would run it too. */
    private final Set<Long> running = ConcurrentHashMap.newKeySet();
    /** Handled rows whose finish is not committed yet. */
    private final Set<Long> finishing = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public InboxWorker(Store store, Inbox inbox, Clock clock, BotConfig.Inbox cfg, String owner, Map<String, EventHandler> handlers) {
        this.store = store;
        this.inbox = inbox;
        this.clock = clock;
        this.cfg = cfg;
        this.owner = owner;
        this.handlers = Map.copyOf(handlers);
        this.pool = new ThreadPoolExecutor(cfg.workers(), cfg.workers(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(10_000), Threads.named("inbox-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(Threads.named("inbox-timer"));
    }

    /** Starts the poller (which at once resumes rows an earlier process left unfinished) and the lease renewal. */
    public void start() {
        long poll = cfg.pollInterval().toMillis();
        timer.scheduleWithFixedDelay(this::poll, 0, poll, TimeUnit.MILLISECONDS);
        long renew = Math.max(1000, cfg.lease().toMillis() / 3);
        timer.scheduleWithFixedDelay(this::renew, renew, renew, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.MINUTES);
    }

    /** Hands a row this process has just stored (and leased) to a worker. */
    public void submit(InboxRow row) {
        if (closed) {
            store.inboxRelease(row.id(), owner);
            return;
        }
        inFlight.add(row.id());
        try {
            pool.execute(() -> process(row));
        } catch (RejectedExecutionException full) {
            inFlight.remove(row.id());
            store.inboxRelease(row.id(), owner);
        }
    }

    private void process(InboxRow row) {
        String status = InboxRow.DONE;
        String error = null;
        running.add(row.id());
        try {
            EventHandler h = handlers.get(row.eventType());
            if (h == null) {
                log.warn("event {} of type {} has no handler; dropped", row.eventId(), row.eventType());
            } else if (row.attempts() > MAX_ATTEMPTS) {
                status = InboxRow.FAILED;
                error = "gave up after " + (row.attempts() - 1) + " unfinished attempts";
                log.error("event {} ({}): {}", row.eventId(), row.eventType(), error);
            } else {
                h.handle(row);
            }
        } catch (StoreException e) {
            // the store failed mid-way: the row stays leased, and its lease expiry brings it back to be handled again
            log.error("event {} ({}): the store failed ({}); handled again once its lease ends", row.eventId(), row.eventType(), e.toString());
            inFlight.remove(row.id());
            return;
        } catch (Exception e) {
            status = InboxRow.FAILED;
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.error("event {} ({}) failed: {}", row.eventId(), row.eventType(), error, e);
        } finally {
            running.remove(row.id());
        }
        // the worker moves on; the row stays in flight (its lease renewed) until the finish is committed
        finishing.add(row.id());
        inbox.finish(row.id(), status, error).whenComplete((finished, err) -> {
            if (err != null) {
                log.error("event {}: could not mark the row finished ({}); its lease expiry brings it back", row.eventId(), err.toString());
            } else if (!finished) {
                log.warn("event {}: row was taken over by another worker before it finished", row.eventId());
            }
            inFlight.remove(row.id());
            finishing.remove(row.id());
        });
    }

    private void poll() {
        if (closed) return;
        try {
            int room = Math.max(0, pool.getQueue().remainingCapacity() - 100);
            if (room == 0) return;
            List<InboxRow> rows = store.inboxClaim(owner, clock.instant(), cfg.lease(), Math.min(room, 500));
            if (!rows.isEmpty()) log.info("resuming {} unfinished inbox row(s)", rows.size());
            rows.forEach(this::submit);
        } catch (RuntimeException e) {
            log.error("inbox poll failed: {}", e.toString());
        }
    }

    private void renew() {
        if (inFlight.isEmpty()) return;
        try {
            store.inboxRenew(owner, List.copyOf(inFlight), clock.instant().plus(cfg.lease()));
        } catch (RuntimeException e) {
            log.error("inbox lease renewal failed: {}", e.toString());
        }
    }

    private void purge() {
        try {
            var before = clock.instant().minus(cfg.retention());
            int n = store.inboxPurge(before) + store.purgeActions(before);
            if (n > 0) log.info("purged {} finished inbox row(s) and click claim(s) older than {}", n, cfg.retention());
        } catch (RuntimeException e) {
            log.error("inbox purge failed: {}", e.toString());
        }
    }

    /** Rows handed to workers and not finished yet. */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * Stops taking work, lets running handlers finish for a moment, and returns the rows no handler has started to the
     * queue. A row whose handler still runs, or whose finish is not committed yet, is never handed back (another process
     * would handle it a second time): it stays leased, and comes back only if this process dies before finishing it.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** {@link #close()}, giving running handlers {@code grace} before they are interrupted, and as long again after. */
    void close(Duration grace) {
        closed = true;
        timer.shutdownNow();
        pool.shutdown();
        try {
            pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Runnable r : pool.shutdownNow()) log.debug("dropped queued task {}", r);
        long until = System.nanoTime() + grace.toNanos();
        while ((!finishing.isEmpty() || !running.isEmpty()) && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Long id : List.copyOf(inFlight)) {
            if (finishing.contains(id) || running.contains(id)) continue;
            store.inboxRelease(id, owner);
            inFlight.remove(id);
        }
        if (!running.isEmpty()) log.warn("{} handler(s) still running at shutdown; their rows stay leased", running.size());
    }
}
