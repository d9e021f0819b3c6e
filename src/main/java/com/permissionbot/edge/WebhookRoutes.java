package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.permissionbot.feishu.Wire;
import com.permissionbot.config.BotConfig;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The webhook transport: {@code POST /webhook/event} and {@code POST /webhook/card}. Only HTTP concerns live here:
 * the body limit, the cheap signature check first, freshness, decryption with the SDK's primitives, and turning what
 * the {@link Intake} made of the request into a status code (4xx for anything forged or malformed, 503 when the store
 * could not take an event, so the platform pushes it again).
 */
public final class WebhookRoutes {
    private static final Logger log = LoggerFactory.getLogger(WebhookRoutes.class);
    private static final ObjectMapper JSON = Wire.JSON;
    private static final String OK = "{\"msg\":\"success\"}";

    private final BotConfig.Feishu cfg;
    private final long maxBody;
    private final Intake intake;
    private final TransportHealth health;
    private final SdkCrypto crypto;
    private final Clock clock;
    private final Duration maxAge;
    /** Over the long connection with no encrypt key nothing could authenticate a webhook request: every one is refused. */
    private final boolean off;

    /**
     * {@code maxAge}: a signed request older than this is refused, so a captured request cannot be replayed once its
     * de-dup keys are purged (the platform's own retries end after about 7 h).
     */
    public WebhookRoutes(BotConfig.Feishu cfg, long maxBody, Intake intake, TransportHealth health, Clock clock, Duration maxAge) {
        this.cfg = cfg;
        this.health = health;
        this.maxBody = maxBody;
        this.intake = intake;
        this.clock = clock;
        this.maxAge = maxAge;
        this.crypto = new SdkCrypto(cfg.verificationToken(), cfg.encryptKey());
        this.off = cfg.transport().websocket() && !cfg.encrypted();
    }

    public void register(Javalin app) {
        app.post("/webhook/event", this::event);
        app.post("/webhook/card", this::card);
    }

    /** Events of both schemas, and new-style card callbacks (they share the format). */
    void event(Context ctx) {
        if (off(ctx)) return;
        byte[] body = body(ctx);
        if (body == null) return;
        JsonNode json = parse(ctx, body);
        if (json == null) return;
        serve(ctx, body, json);
    }

    /** Card callbacks: new-style (schema 2.0, encrypted like events) and legacy (sha1 over the verification token). */
    void card(Context ctx) {
        if (off(ctx)) return;
        byte[] body = body(ctx);
        if (body == null) return;
        JsonNode json = parse(ctx, body);
        if (json == null) return;
        if (json.has("encrypt") || json.has("schema")) {
            serve(ctx, body, json);
            return;
        }
        // https://open.feishu.cn/document/common-capabilities/message-card/add-card-interaction/message-card-security-verification
        boolean challenge = "url_verification".equals(json.path("type").asText());
        if (!challenge) {
            if (!json.path("action").isObject()) {
                reject(ctx, 400, "not a card callback", "");
                return;
            }
            if (!signaturePresent(ctx)) {
                reject(ctx, 401, "legacy card callback without a signature", "");
                return;
            }
            if (!crypto.legacyCardSigned(ctx.header("X-Lark-Request-Timestamp"), ctx.header("X-Lark-Request-Nonce"), body,
                    ctx.header("X-Lark-Signature"))) {
                reject(ctx, 401, "legacy card signature mismatch", "");
                return;
            }
            if (stale(ctx)) return;
        }
        answer(ctx, intake.receiveAndWait(new String(body, StandardCharsets.UTF_8), Source.LEGACY_CARD), true);
    }

    /** Encrypted (or, without an encrypt key, plain) events and new-style callbacks. */
    private void serve(Context ctx, byte[] body, JsonNode json) {
        boolean encrypted = json.path("encrypt").isTextual();
        if (cfg.encrypted() && !encrypted) {
            reject(ctx, 400, "plaintext body but an encrypt key is configured", json.path("header").path("event_id").asText(""));
            return;
        }
        if (!cfg.encrypted() && json.has("encrypt")) {
            reject(ctx, 400, "encrypted body but no encrypt key is configured", "");
            return;
        }
        Source source = Source.WEBHOOK;
        if (cfg.encrypted()) {
            if (!signaturePresent(ctx)) {
                // only a URL check comes unsigned; the intake refuses anything else
                source = Source.WEBHOOK_UNSIGNED;
            } else if (!crypto.eventSigned(ctx.header("X-Lark-Request-Timestamp"), ctx.header("X-Lark-Request-Nonce"), body,
                    ctx.header("X-Lark-Signature"))) {
                reject(ctx, 401, "signature mismatch", "");
                return;
            } else if (stale(ctx)) {
                return;
            } else {
                health.accepted(); // before the intake: the doctor this event asks for must see it
            }
        }
        String plain;
        try {
            plain = encrypted ? crypto.decrypt(json.path("encrypt").asText().trim()) : new String(body, StandardCharsets.UTF_8);
        } catch (RuntimeException e) { // the SDK's DecryptException, or a bad base64 or padding
            reject(ctx, 400, "cannot decrypt the body", "");
            return;
        }
        answer(ctx, intake.receiveAndWait(plain.trim(), source), false);
    }

    /** The intake's verdict as HTTP. */
    private void answer(Context ctx, Received r, boolean legacy) {
        if (r instanceof Received.Refused f) {
            reject(ctx, f);
        } else if (r instanceof Received.Unavailable) {
            ctx.status(503).contentType("application/json").result("{\"msg\":\"temporarily unavailable\"}");
        } else if (r instanceof Received.Challenge c) {
            health.accepted();
            ok(ctx, JSON.createObjectNode().put("challenge", c.challenge()).toString());
        } else if (r instanceof Received.Answered a) {
            health.accepted();
            ok(ctx, legacy ? CallbackAnswers.legacy(a.answer()) : CallbackAnswers.current(a.answer()));
        } else {
            health.accepted();
            ok(ctx, OK);
        }
    }

    private static void ok(Context ctx, String body) {
        ctx.status(200).contentType("application/json").result(body);
    }

    /** Refuses (403) every request when events come over the long connection and no encrypt key is configured. */
    private boolean off(Context ctx) {
        if (!off) return false;
        Metrics.counter("bot.requests.rejected", "reason", "webhook_off").increment();
        health.refused("webhook_off");
        log.warn("rejected {} {} with 403: this bot receives events over the long connection (FEISHU_TRANSPORT=websocket) and has "
                + "no encrypt key, so nothing could authenticate a webhook request", ctx.method(), ctx.path());
        ctx.status(403).json(Map.of("msg", "webhooks are off: this bot uses the long connection (FEISHU_TRANSPORT=websocket) "
                + "and has no encrypt key to authenticate a webhook request"));
        return true;
    }

    /** Refuses (401) a request whose signed timestamp is older than {@code maxAge} or more than an hour ahead. */
    private boolean stale(Context ctx) {
        long ts;
        try {
            ts = Long.parseLong(ctx.header("X-Lark-Request-Timestamp").trim());
        } catch (NumberFormatException e) {
            reject(ctx, 401, "unreadable request timestamp", "");
            return true;
        }
        // seconds in the examples seen; accept milliseconds too
        Instant at = ts > 100_000_000_000L ? Instant.ofEpochMilli(ts) : Instant.ofEpochSecond(ts);
        Instant now = clock.instant();
        if (at.isBefore(now.minus(maxAge)) || at.isAfter(now.plus(Duration.ofHours(1)))) {
            reject(ctx, 401, "request timestamp outside the accepted window (replay?)", "");
            return true;
        }
        return false;
    }

    private static boolean signaturePresent(Context ctx) {
        return ctx.header("X-Lark-Signature") != null && ctx.header("X-Lark-Request-Timestamp") != null
                && ctx.header("X-Lark-Request-Nonce") != null;
    }

    private byte[] body(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBody) {
            reject(ctx, 413, "body of " + declared + " bytes is over the limit of " + maxBody, "");
            return null;
        }
        byte[] body;
        try (var in = ctx.req().getInputStream()) {
            // sized by the declared length when there is one, so a small body is read into a small buffer
            body = in.readNBytes((int) (declared >= 0 ? declared + 1 : maxBody + 1));
        } catch (java.io.IOException e) {
            reject(ctx, 400, "body could not be read", "");
            return null;
        }
        if (body.length > maxBody) {
            reject(ctx, 413, "body is over the limit of " + maxBody + " bytes", "");
            return null;
        }
        return body;
    }

    private JsonNode parse(Context ctx, byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.isObject()) return n;
        } catch (java.io.IOException ignored) {
            // answered below
        }
        reject(ctx, 400, "body is not a JSON object", "");
        return null;
    }

    private void reject(Context ctx, int status, String reason, String eventId) {
        reject(ctx, new Received.Refused(status, reason, eventId));
    }

    /** One log line and one metric per refused request, with the event id when known; never the body. */
    private void reject(Context ctx, Received.Refused r) {
        Metrics.counter("bot.requests.rejected", "reason", r.metricReason()).increment();
        health.refused(r.metricReason());
        log.warn("rejected {} {} with {}: {}{}", ctx.method(), ctx.path(), r.status(), r.reason(),
                r.eventId() == null || r.eventId().isEmpty() ? "" : " (event " + r.eventId() + ")");
        ctx.status(r.status()).json(Map.of("msg", r.reason()));
    }
}
