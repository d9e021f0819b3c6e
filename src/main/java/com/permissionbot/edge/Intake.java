package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.chat.CardActions;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.domain.CardClick;
import com.permissionbot.domain.Secrets;
import com.permissionbot.feishu.Envelope;
import com.permissionbot.feishu.EventParser;
import com.permissionbot.inbox.Inbox;
import com.permissionbot.inbox.InboxWorker;
import com.permissionbot.store.InboxRow;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;

/**
 * The one way into the bot for every transport (webhook, long connection): decrypted JSON in, a {@link Received} out.
 * An event is checked (verification token where the transport has one, event id), masked where it may hold a secret,
 * and stored in the inbox before it is acknowledged (de-duplicated by message_id or event id); a card callback is
 * answered at once through {@link CardActions}; a URL check is answered with its challenge.
 */
public final class Intake {
    private static final Logger log = LoggerFactory.getLogger(Intake.class);
    /** https://open.feishu.cn/document/feishu-cards/card-callback-communication */
    static final String CARD_ACTION = "card.action.trigger";
    static final String MESSAGE = "im.message.receive_v1";
    /** Time from a request reaching the intake to its row being stored (the part of the ack that is ours). */
    private static final Timer ACK = Timer.builder("bot.ack").publishPercentiles(0.5, 0.99).register(Metrics.globalRegistry);

    /** A store slower than this is answered as unavailable, and the platform pushes the event again. */
    private static final long STORE_WAIT_SECONDS = 10;

    private final byte[] token;
    private final Set<String> eventTypes;
    private final Inbox inbox;
    private final InboxWorker worker;
    private final CardActions actions;

    /** {@code eventTypes}: the events the bot handles (the workers' handlers); others are acknowledged and dropped. */
    public Intake(String verificationToken, Set<String> eventTypes, Inbox inbox, InboxWorker worker, CardActions actions) {
        this.token = verificationToken.getBytes(StandardCharsets.UTF_8);
        this.eventTypes = Set.copyOf(eventTypes);
        this.inbox = inbox;
        this.worker = worker;
        this.actions = actions;
    }

    /**
     * {@link #receive}, waiting on this thread for the store's commit (batched with the other requests waiting
     * meanwhile), so the answer is written here: one hand-over to the writer and back. A store slower than 10 s is
     * answered as unavailable, and the platform pushes the event again.
     */
    public Received receiveAndWait(String plain, Source source) {
        CompletableFuture<Received> verdict = receive(plain, source);
        try {
            return verdict.get(STORE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Received.Unavailable("", "interrupted");
        } catch (TimeoutException e) {
            log.error("a request waited over {} s for the store; not acknowledged, so the platform pushes it again", STORE_WAIT_SECONDS);
            return new Received.Unavailable("", "the store did not answer in time");
        } catch (ExecutionException e) {
            log.error("a request failed after it was stored ({}); not acknowledged, so the platform pushes it again", e.getCause().toString());
            return new Received.Unavailable("", String.valueOf(e.getCause().getMessage()));
        }
    }

    /**
     * One decrypted request from {@code source}: stored, answered, echoed, ignored or refused; an event completes
     * once its row is committed, on the thread that completes the inbox's committed batch.
     */
    public CompletableFuture<Received> receive(String plain, Source source) {
        long started = System.nanoTime();
        JsonNode json;
        try {
            json = EventParser.tree(plain);
        } catch (IllegalArgumentException e) {
            return done(new Received.Refused(400, "decrypted body is not JSON", ""));
        }
        if (!json.isObject()) return done(new Received.Refused(400, "decrypted body is not a JSON object", ""));
        // https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
        if ("url_verification".equals(json.path("type").asText())) {
            if (source != Source.LONG_CONNECTION && !tokenMatches(json.path("token").asText(null))) {
                return done(new Received.Refused(403, "wrong verification token in challenge", ""));
            }
            log.info("answered url_verification challenge");
            return done(new Received.Challenge(json.path("challenge").asText("")));
        }
        if (source == Source.WEBHOOK_UNSIGNED) return done(new Received.Refused(401, "missing signature", eventIdOf(json)));
        if (source == Source.LEGACY_CARD) return done(click(json, json.path("open_message_id").asText("")));
        if (json.has("schema") && !json.path("header").isObject()) return done(new Received.Refused(400, "malformed event", ""));
        Envelope env = Envelope.of(json);
        if (source == Source.WEBHOOK && !tokenMatches(env.token())) {
            return done(new Received.Refused(403, "wrong verification token", env.eventId()));
        }
        if (env.eventId().isEmpty()) return done(new Received.Refused(400, "no event id", ""));
        if (CARD_ACTION.equals(env.type())) return done(click(json, env.eventId()));
        if (!eventTypes.contains(env.type())) {
            log.info("event {} of type '{}' is not handled by this bot; acknowledged and dropped", env.eventId(), env.type());
            return done(new Received.Ignored(env.eventId(), env.type()));
        }
        if (MESSAGE.equals(env.type()) && !env.dedupKey().startsWith("msg:")) {
            return done(new Received.Refused(400, "message event without a message_id", env.eventId()));
        }
        return store(env, json, plain, started);
    }

    /** Durable before the acknowledgement; a secret pasted into a message by mistake is not kept at rest either. */
    private CompletableFuture<Received> store(Envelope env, JsonNode json, String plain, long started) {
        String kept = MESSAGE.equals(env.type()) && Secrets.mayHold(json.path("event").path("message").path("content").asText(""))
                ? Secrets.mask(plain) : plain;
        try {
            return inbox.accept(env.dedupKey(), env.eventId(), env.type(), env.tenantKey(), kept)
                    .handle((row, err) -> err != null ? unavailable(env, err) : stored(env, row, started));
        } catch (RuntimeException e) {
            return done(unavailable(env, e));
        }
    }

    private Received stored(Envelope env, Optional<InboxRow> row, long started) {
        Metrics.counter("bot.events.received", "type", env.type()).increment();
        if (row.isEmpty()) {
            Metrics.counter("bot.events.duplicates", "type", env.type()).increment();
            log.info("event {} ({}) is a duplicate of {}; acknowledged and dropped", env.eventId(), env.type(), env.dedupKey());
            return new Received.Stored(env.eventId(), true);
        }
        ACK.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        worker.submit(row.get());
        return new Received.Stored(env.eventId(), false);
    }

    private static Received unavailable(Envelope env, Throwable err) {
        String why = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
        Metrics.counter("bot.requests.rejected", "reason", "store_unavailable").increment();
        log.error("event {}: could not be stored ({}); not acknowledged, so the platform pushes it again", env.eventId(), why);
        return new Received.Unavailable(env.eventId(), why);
    }

    /** A click, answered now; a failure is logged and answered with an apology toast, never a 5xx. */
    private Received click(JsonNode json, String eventId) {
        CardClick c = EventParser.cardClick(json);
        if (c.messageId().isEmpty() || c.operatorOpenId().isEmpty()) {
            return new Received.Refused(400, "card callback without message or operator", eventId);
        }
        try {
            return new Received.Answered(eventId, actions.handle(c));
        } catch (RuntimeException e) {
            log.error("click on message {} by {} failed: {}", c.messageId(), c.operatorOpenId(), e.toString(), e);
            return new Received.Answered(eventId,
                    CardAnswer.toast("error", "处理失败，已记录，请稍后重试。", "That failed and was logged; please try again later."));
        }
    }

    private boolean tokenMatches(String got) {
        return got != null && MessageDigest.isEqual(token, got.getBytes(StandardCharsets.UTF_8));
    }

    private static CompletableFuture<Received> done(Received r) {
        return CompletableFuture.completedFuture(r);
    }

    private static String eventIdOf(JsonNode json) {
        return Envelope.of(json).eventId();
    }
}
