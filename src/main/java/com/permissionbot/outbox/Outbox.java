package com.permissionbot.outbox;

import com.permissionbot.util.Threads;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.Backoff;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.feishu.Uuids;
import com.permissionbot.inbox.InboxWorker;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cards the bot owes a chat (a reply the platform did not take, a grant notice, an approval status, the card after a
 * slow click), delivered until the platform accepts them or they expire ({@link OutboxMessage#EXPIRY}, then one log
 * line and a metric). Rows are written in the same transaction as the change that caused them; a row is leased to one
 * sender at a time across replicas, and a dead sender's rows come back when the lease ends. Sends and replies carry
 * the uuid the platform de-duplicates by, so a repeat after a crash is not shown twice.
 */
public final class Outbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Outbox.class);
    /** How long a sender holds a row (and a card's topic) before another may take it. */
    static final Duration LEASE = Duration.ofSeconds(60);
    static final int BATCH = 50;
    /** Codes that say the message to reply to or update is gone (recalled, deleted, not visible). */
    static final Set<Integer> MESSAGE_GONE = Set.of(230011, 230050, 99992354);

    /** When the sender retries: the first wait, doubled up to {@code maxRetry}; and how often it looks for due rows. */
    public record Settings(Duration firstRetry, Duration maxRetry, Duration poll) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(1), Duration.ofMinutes(10), Duration.ofSeconds(1));
        }
    }

    private final Store store;
    private final FeishuGateway gateway;
    private final RetryPolicy retry;
    private final Clock clock;
    private final String owner;
    private final Backoff backoff;
    private final Settings settings;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("outbox-timer"));
    private final ExecutorService senders = Executors.newFixedThreadPool(4, Threads.named("outbox-sender"));
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private volatile boolean closed;

    public Outbox(Store store, FeishuGateway gateway, RetryPolicy retry, Clock clock, String owner, Settings settings) {
        this.store = store;
        this.gateway = gateway;
        this.retry = retry;
        this.clock = clock;
        this.owner = owner;
        this.settings = settings;
        this.backoff = Backoff.exponential(settings.firstRetry(), settings.maxRetry());
        Gauge.builder("bot.outbox.depth", store, Store::outboxDepth).strongReference(false).register(Metrics.globalRegistry);
    }

    /** Starts looking for due rows (at once, so a restart resumes what an earlier process left). */
    public Outbox start() {
        long poll = settings.poll().toMillis();
        timer.scheduleWithFixedDelay(this::pass, 0, poll, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.MINUTES);
        return this;
    }

    /**
     * Delivers now, repeating quickly while the platform fails for a moment ({@link RetryPolicy}); what it still did
     * not accept is kept in the outbox and sent later. A refusal a repeat would not change is logged and dropped.
     */
    public void deliver(OutboxMessage m) {
        PlatformResult<String> r = retry.call(m.what(), () -> attempt(m));
        if (r.ok()) {
            delivered(m);
        } else if (RetryPolicy.transientFailure(r)) {
            log.warn("{}: not delivered yet (code {} '{}', log_id {}); kept in the outbox", m.what(), r.code(), r.msg(), r.logId());
            Instant next = clock.instant().plus(waitAfter(r, 1));
            store.outboxAdd(List.of(m.dueAt(next)));
            passAt(next);
        } else {
            failed(m, r);
        }
    }

    /** Looks for due rows now (after a transaction added some). */
    public void wake() {
        if (closed || !passQueued.compareAndSet(false, true)) return;
        try {
            timer.execute(this::pass);
        } catch (RuntimeException closing) {
            passQueued.set(false);
        }
    }

    /** Looks for due rows again at {@code at}, when a retry falls due (the poll is for other processes' rows). */
    private void passAt(Instant at) {
        long ms = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        if (closed) return;
        try {
            timer.schedule(this::pass, ms, TimeUnit.MILLISECONDS);
        } catch (RuntimeException closing) {
            // closed meanwhile: the next process picks the row up
        }
    }

    /** One pass: claims due rows and delivers them, one sender per topic, newest row of a topic only. */
    void pass() {
        passQueued.set(false);
        if (closed) return;
        try {
            List<OutboxMessage> due = store.outboxClaim(owner, clock.instant(), LEASE, BATCH);
            Map<String, List<OutboxMessage>> byTopic = new LinkedHashMap<>();
            for (OutboxMessage m : due) byTopic.computeIfAbsent(m.topic(), t -> new ArrayList<>()).add(m);
            for (List<OutboxMessage> rows : byTopic.values()) senders.execute(() -> sendTopic(rows));
            if (due.size() == BATCH) wake();
        } catch (RuntimeException e) {
            log.error("outbox pass failed: {}", e.toString());
        }
    }

    private void sendTopic(List<OutboxMessage> rows) {
        try {
            for (OutboxMessage m : rows) {
                if (closed) return;
                if (store.outboxSuperseded(m)) {
                    store.outboxFinish(m.id(), owner, "superseded", null, null, clock.instant());
                } else {
                    sendOne(m);
                }
            }
        } catch (RuntimeException e) {
            log.error("outbox delivery failed: {}; its lease expiry brings it back", e.toString());
        }
    }

    private void sendOne(OutboxMessage m) {
        Instant now = clock.instant();
        if (!now.isBefore(m.expiresAt())) {
            expired(m, "no attempt was accepted in " + OutboxMessage.EXPIRY.toHours() + " h");
            return;
        }
        // one sender per card: two replicas must not send the same slot's first message, or patch out of order
        String topicLease = "outbox:" + m.topic();
        boolean shared = !m.once();
        if (shared && !store.tryLease(topicLease, owner, now, LEASE)) {
            store.outboxRetryAt(m.id(), owner, now.plusSeconds(1), "another sender holds this card");
            return;
        }
        try {
            PlatformResult<String> r = RetryPolicy.once(() -> attempt(m));
            if (r.ok()) {
                store.outboxFinish(m.id(), owner, "sent", r.value(), null, clock.instant());
                delivered(m);
            } else if (RetryPolicy.transientFailure(r) || r.credentialsRefused()) { // a secret gets fixed; the notice waits
                Instant next = clock.instant().plus(waitAfter(r, m.attempts() + 1));
                if (!next.isBefore(m.expiresAt())) {
                    expired(m, "last answer code " + r.code() + ", log_id " + r.logId());
                } else {
                    log.info("{}: attempt {} not accepted (code {}, log_id {}); next try at {}", m.what(), m.attempts(),
                            r.code(), r.logId(), next);
                    store.outboxRetryAt(m.id(), owner, next, "code " + r.code() + " " + r.msg());
                    passAt(next);
                }
            } else {
                store.outboxFinish(m.id(), owner, "failed", null, "code " + r.code() + " " + r.msg(), clock.instant());
                failed(m, r);
            }
        } finally {
            if (shared) store.releaseLease(topicLease, owner);
        }
    }

    /** One call for the row: send, reply (or send, if the message is gone), update, or the slot's send-then-update. */
    private PlatformResult<String> attempt(OutboxMessage m) {
        Card card = new Card(m.cardName(), m.cardJson());
        return switch (m.kind()) {
            case SEND -> gateway.sendCard(m.target(), card, m.uuid());
            case REPLY -> {
                PlatformResult<String> r = gateway.replyCard(m.target(), card, m.uuid());
                if (MESSAGE_GONE.contains(r.code()) && m.chatId() != null) {
                    log.info("{}: message {} is gone (code {}); sending to chat {} instead", m.what(), m.target(), r.code(), m.chatId());
                    r = gateway.sendCard(m.chatId(), card, m.uuid());
                }
                yield r;
            }
            case UPDATE -> gateway.updateCard(m.target(), card).withValue(m.target());
            case SLOT -> slot(m, card);
        };
    }

    private PlatformResult<String> slot(OutboxMessage m, Card card) {
        Optional<String> sent = store.cardSlot(m.target());
        if (sent.isPresent()) {
            PlatformResult<Void> u = gateway.updateCard(sent.get(), card);
            if (!MESSAGE_GONE.contains(u.code())) return u.withValue(sent.get());
            log.info("{}: card {} is gone (code {}); sending a new one", m.what(), sent.get(), u.code());
            store.saveCardSlot(m.target(), null, clock.instant());
        }
        // a slot sent again after its message vanished needs a uuid the platform has not seen in the last hour
        String uuid = sent.isPresent() ? Uuids.of("again", m.uuid() + ":" + m.id()) : m.uuid();
        PlatformResult<String> r = gateway.sendCard(m.chatId(), card, uuid);
        if (r.ok() && r.value() != null) store.saveCardSlot(m.target(), r.value(), clock.instant());
        return r;
    }

    private Duration waitAfter(PlatformResult<?> r, int attempts) {
        Duration wait = backoff.before(Math.max(1, attempts));
        return r.retryAfter() != null && r.retryAfter().compareTo(wait) > 0 ? r.retryAfter() : wait;
    }

    private void delivered(OutboxMessage m) {
        Metrics.counter("bot.outbox.delivered", "kind", m.kind().name().toLowerCase()).increment();
    }

    private void failed(OutboxMessage m, PlatformResult<?> r) {
        Metrics.counter("bot.outbox.given_up", "kind", m.kind().name().toLowerCase(), "reason", "refused").increment();
        log.warn("{}: the platform refused it (code {} '{}', log_id {}); not retried", m.what(), r.code(), r.msg(), r.logId());
    }

    private void expired(OutboxMessage m, String why) {
        // only the sender still holding the row reports it (a slow sender's lease may have passed to another)
        if (!store.outboxFinish(m.id(), owner, "expired", null, why, clock.instant())) return;
        Metrics.counter("bot.outbox.given_up", "kind", m.kind().name().toLowerCase(), "reason", "expired").increment();
        log.error("{}: given up after {} attempt(s) since {}: {}", m.what(), m.attempts(), m.createdAt(), why);
    }

    private void purge() {
        try {
            int n = store.outboxPurge(clock.instant().minus(OutboxMessage.EXPIRY.multipliedBy(2)));
            if (n > 0) log.info("purged {} finished outbox row(s)", n);
        } catch (RuntimeException e) {
            log.error("outbox purge failed: {}", e.toString());
        }
    }

    /** Stops sending; rows in flight come back to this or another process when their lease ends. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        senders.shutdown();
        try {
            senders.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        senders.shutdownNow();
    }
}
