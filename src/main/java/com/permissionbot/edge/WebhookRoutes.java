package com.permissionbot.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.lark.oapi.card.CardActionHandler;
import com.lark.oapi.core.request.EventReq;
import com.lark.oapi.core.response.EventResp;
import com.lark.oapi.core.utils.Jsons;
import com.lark.oapi.event.CustomEventHandler;
import com.lark.oapi.event.EventDispatcher;
import com.lark.oapi.event.cardcallback.P2CardActionTriggerHandler;
import com.lark.oapi.event.cardcallback.model.CallBackCard;
import com.lark.oapi.event.cardcallback.model.CallBackToast;
import com.lark.oapi.event.cardcallback.model.P2CardActionTrigger;
import com.lark.oapi.event.cardcallback.model.P2CardActionTriggerResponse;
import com.permissionbot.chat.CardActions;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.chat.CardClick;
import com.permissionbot.config.BotConfig;
import com.permissionbot.diagnose.Secrets;
import com.permissionbot.feishu.Envelope;
import com.permissionbot.feishu.EventParser;
import com.permissionbot.inbox.Inbox;
import com.permissionbot.inbox.InboxWorker;
import com.permissionbot.store.InboxRow;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Feishu edge: {@code POST /webhook/event} and {@code POST /webhook/card}. The SDK's {@link EventDispatcher}
 * decrypts, checks signatures and answers the challenge; around it we add a size limit, a cheap signature check
 * first, the verification token on every request, 4xx for anything forged or malformed, and the durable inbox.
 */
public final class WebhookRoutes {
    private static final Logger log = LoggerFactory.getLogger(WebhookRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The events the bot subscribes to; they go through the inbox (ack first, work later). */
    public static final Set<String> EVENT_TYPES = Set.of("im.message.receive_v1", "im.chat.member.bot.added_v1", "approval_instance");

    /** Time from the request's arrival in the dispatcher to the stored row (the part of the ack that is ours). */
    private static final Timer ACK = Timer.builder("bot.ack").publishPercentiles(0.5, 0.99).register(Metrics.globalRegistry);

    private final BotConfig.Feishu cfg;
    private final long maxBody;
    private final Inbox inbox;
    private final InboxWorker worker;
    private final CardActions actions;
    private final SignedDispatcher dispatcher;
    private final CardActionHandler legacyCards;
    private final byte[] token;
    private final Clock clock;
    private final Duration maxAge;

    /**
     * {@code maxAge}: a signed request older than this is refused, so a captured request cannot be replayed once its
     * de-dup keys are purged (the platform's own retries end after about 7 h).
     */
    public WebhookRoutes(BotConfig.Feishu cfg, long maxBody, Inbox inbox, InboxWorker worker, CardActions actions,
                         Clock clock, Duration maxAge) {
        this.cfg = cfg;
        this.clock = clock;
        this.maxAge = maxAge;
        this.maxBody = maxBody;
        this.inbox = inbox;
        this.worker = worker;
        this.actions = actions;
        this.token = cfg.verificationToken().getBytes(StandardCharsets.UTF_8);
        EventDispatcher.Builder b = EventDispatcher.newBuilder(cfg.verificationToken(), cfg.encryptKey());
        for (String type : EVENT_TYPES) {
            b.onCustomizedEvent(type, new CustomEventHandler() {
                @Override
                public void handle(EventReq req) {
                    enqueue(req.getPlain());
                }
            });
        }
        b.onP2CardActionTrigger(new P2CardActionTriggerHandler() {
            @Override
            public P2CardActionTriggerResponse handle(P2CardActionTrigger event) {
                return toSdk(click(event.getEventReq().getPlain()));
            }
        });
        this.dispatcher = new SignedDispatcher(b);
        this.legacyCards = CardActionHandler.newBuilder(cfg.verificationToken(), cfg.encryptKey(),
                cardAction -> legacyAnswer(click(Jsons.DEFAULT.toJson(cardAction)))).build();
    }

    public void register(Javalin app) {
        app.post("/webhook/event", this::event);
        app.post("/webhook/card", this::card);
    }

    /** Events of both schemas, and new-style card callbacks (they share the format). */
    void event(Context ctx) {
        byte[] body = body(ctx);
        if (body == null) return;
        JsonNode json = parse(ctx, body);
        if (json == null) return;
        serve(ctx, body, json);
    }

    /** Card callbacks: new-style (schema 2.0, encrypted like events) and legacy (sha1 over the verification token). */
    void card(Context ctx) {
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
        if (!challenge && !json.path("action").isObject()) {
            reject(ctx, 400, "not a card callback", "");
            return;
        }
        Intake in = Intake.begin(true);
        try {
            if (!challenge && !signaturePresent(ctx)) {
                reject(ctx, 401, "legacy card callback without a signature", "");
                return;
            }
            if (!challenge && stale(ctx)) return;
            EventResp resp = legacyCards.handle(sdkRequest(ctx, body));
            if (in.rejectStatus != 0) {
                reject(ctx, in.rejectStatus, in.rejectReason, in.eventId);
            } else if (resp.getStatusCode() != 200) {
                reject(ctx, challenge ? 403 : 401, challenge ? "wrong verification token in challenge" : "legacy card signature mismatch", "");
            } else {
                ctx.status(200).contentType("application/json").result(resp.getBody());
            }
        } catch (Throwable t) {
            reject(ctx, 400, "legacy card callback unreadable: " + t.getClass().getSimpleName(), "");
        } finally {
            Intake.end();
        }
    }

    private void serve(Context ctx, byte[] body, JsonNode json) {
        boolean hasEncrypt = json.path("encrypt").isTextual();
        if (cfg.encrypted() && !hasEncrypt) {
            reject(ctx, 400, "plaintext body but an encrypt key is configured", json.path("header").path("event_id").asText(""));
            return;
        }
        if (!cfg.encrypted() && json.has("encrypt")) {
            reject(ctx, 400, "encrypted body but no encrypt key is configured", "");
            return;
        }
        boolean signed = false;
        if (cfg.encrypted() && signaturePresent(ctx)) {
            if (!dispatcher.signatureMatches(ctx.header("X-Lark-Request-Timestamp"), ctx.header("X-Lark-Request-Nonce"),
                    new String(body, StandardCharsets.UTF_8), ctx.header("X-Lark-Signature"))) {
                reject(ctx, 401, "signature mismatch", "");
                return;
            }
            if (stale(ctx)) return;
            signed = true;
        }
        Intake in = Intake.begin(signed || !cfg.encrypted());
        EventReq req = sdkRequest(ctx, body);
        try {
            long started = System.nanoTime();
            EventResp resp = dispatcher.handle(req);
            if (in.rejectStatus != 0) {
                reject(ctx, in.rejectStatus, in.rejectReason, in.eventId);
            } else if (resp.getStatusCode() == 200 && in.stored != null) {
                // answered once the row is committed; meanwhile no request thread waits for the commit
                Intake stored = in;
                ctx.future(() -> stored.stored.handle((row, err) -> {
                    acknowledge(ctx, stored, resp.getBody(), row, err, started);
                    return null;
                }));
            } else if (resp.getStatusCode() == 200) {
                if (!in.handled) unhandled(req, resp);
                ctx.status(200).contentType("application/json").result(resp.getBody());
            } else if (in.storeFailed) {
                // not stored, so not acknowledged: the platform retries later
                log.error("event {}: could not be stored ({}); answered 503 so the platform retries", in.eventId, in.storeError);
                ctx.status(503).json(Map.of("msg", "temporarily unavailable"));
            } else {
                failed(ctx, req, in);
            }
        } catch (Throwable t) {
            reject(ctx, 400, "unreadable request: " + t.getClass().getSimpleName(), in.eventId);
        } finally {
            Intake.end();
        }
    }

    /** 200 once the event is stored (or known), 503 when the store could not take it (then the platform retries). */
    private void acknowledge(Context ctx, Intake in, byte[] body, Optional<InboxRow> row, Throwable err, long started) {
        if (err != null) {
            Metrics.counter("bot.requests.rejected", "reason", "store_unavailable").increment();
            log.error("event {}: could not be stored ({}); answered 503 so the platform retries", in.eventId, err.getMessage());
            ctx.status(503).json(Map.of("msg", "temporarily unavailable"));
            return;
        }
        Metrics.counter("bot.events.received", "type", in.type).increment();
        if (row.isPresent()) {
            ACK.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            worker.submit(row.get());
        } else {
            Metrics.counter("bot.events.duplicates", "type", in.type).increment();
            log.info("event {} ({}) is a duplicate of {}; acknowledged and dropped", in.eventId, in.type, in.dedupKey);
        }
        ctx.status(200).contentType("application/json").result(body);
    }

    /** The SDK answered 500 and none of our handlers ran to the end: say why in a 4xx. */
    private void failed(Context ctx, EventReq req, Intake in) {
        String plain = req.getPlain();
        if (plain == null) {
            if (in.signed) reject(ctx, 400, "cannot decrypt the body", "");
            else reject(ctx, 401, "missing signature", "");
            return;
        }
        try {
            JsonNode json = JSON.readTree(plain);
            Envelope env = Envelope.of(json);
            if ("url_verification".equals(json.path("type").asText())) {
                reject(ctx, 403, "wrong verification token in challenge", "");
            } else if (!in.signed) {
                reject(ctx, 401, "missing signature", env.eventId());
            } else {
                reject(ctx, 400, "malformed event", env.eventId());
            }
        } catch (JsonProcessingException e) {
            reject(ctx, 400, "decrypted body is not JSON", "");
        }
    }

    /** A 200 from the SDK that none of our handlers saw: a challenge, or an event type the bot does not handle. */
    private void unhandled(EventReq req, EventResp resp) {
        String plain = req.getPlain();
        if (plain == null || new String(resp.getBody(), StandardCharsets.UTF_8).contains("\"challenge\"")) {
            log.info("answered url_verification challenge");
            return;
        }
        try {
            Envelope env = Envelope.of(JSON.readTree(plain));
            log.info("event {} of type '{}' is not handled by this bot; acknowledged and dropped", env.eventId(), env.type());
        } catch (JsonProcessingException e) {
            log.info("unreadable event acknowledged and dropped");
        }
    }

    /** Runs inside the dispatcher for each subscribed event: token check, then the inbox (durable before the 200). */
    private void enqueue(String plain) {
        Intake in = Intake.current();
        JsonNode json = EventParser.tree(plain);
        Envelope env = Envelope.of(json);
        in.eventId = env.eventId();
        in.handled = true;
        if (!checked(in, env)) return;
        try {
            // a secret pasted into a message by mistake is not kept at rest either
            String stored = "im.message.receive_v1".equals(env.type())
                    && Secrets.mayHold(json.path("event").path("message").path("content").asText("")) ? Secrets.mask(plain) : plain;
            in.type = env.type();
            in.dedupKey = env.dedupKey();
            in.stored = inbox.accept(env.dedupKey(), env.eventId(), env.type(), env.tenantKey(), stored);
        } catch (RuntimeException e) {
            in.storeFailed = true;
            in.storeError = e.getMessage();
            throw e;
        }
    }

    private boolean checked(Intake in, Envelope env) {
        if (!in.signed) {
            in.reject(401, "missing signature");
            return false;
        }
        if (!tokenMatches(env.token())) {
            in.reject(403, "wrong verification token");
            return false;
        }
        if (env.eventId().isEmpty() || ("im.message.receive_v1".equals(env.type()) && !env.dedupKey().startsWith("msg:"))) {
            in.reject(400, env.eventId().isEmpty() ? "no event id" : "message event without a message_id");
            return false;
        }
        return true;
    }

    private CardAnswer click(String plain) {
        Intake in = Intake.current();
        JsonNode json = EventParser.tree(plain);
        Envelope env = Envelope.of(json);
        in.eventId = env.eventId();
        in.handled = true;
        boolean legacy = !json.has("schema");
        if (legacy) {
            // legacy callbacks are authenticated by their sha1 signature over the verification token (checked by the SDK)
            in.eventId = json.path("open_message_id").asText("");
        } else if (!checked(in, env)) {
            return null;
        }
        CardClick c = EventParser.cardClick(json);
        if (c.messageId().isEmpty() || c.operatorOpenId().isEmpty()) {
            in.reject(400, "card callback without message or operator");
            return null;
        }
        try {
            return actions.handle(c);
        } catch (RuntimeException e) {
            log.error("click on message {} by {} failed: {}", c.messageId(), c.operatorOpenId(), e.toString(), e);
            return CardAnswer.toast("error", "处理失败，已记录，请稍后重试。", "That failed and was logged; please try again later.");
        }
    }

    /** https://open.feishu.cn/document/feishu-cards/card-callback-communication : toast and card in the response. */
    private static P2CardActionTriggerResponse toSdk(CardAnswer a) {
        if (a == null) return null;
        P2CardActionTriggerResponse r = new P2CardActionTriggerResponse();
        CallBackToast t = new CallBackToast();
        t.setType(a.toastType());
        t.setContent(a.toastZh());
        t.setI18n(Map.of("zh_cn", a.toastZh(), "en_us", a.toastEn()));
        r.setToast(t);
        if (a.card() != null) {
            CallBackCard card = new CallBackCard();
            card.setType("raw");
            // the SDK serialises with Gson: a Map survives, a Jackson node would not (protocol §0)
            card.setData(JSON.convertValue(a.card().json(), HashMap.class));
            r.setCard(card);
        }
        return r;
    }

    /** The legacy callback answers with the card itself at the top level, plus a toast (protocol §3.3). */
    private static String legacyAnswer(CardAnswer a) {
        if (a == null) return "{}";
        var n = a.card() == null ? JSON.createObjectNode() : a.card().json().deepCopy();
        n.putObject("toast").put("type", a.toastType()).put("content", a.toastZh())
                .putObject("i18n").put("zh_cn", a.toastZh()).put("en_us", a.toastEn());
        return n.toString();
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
        // seconds in the examples seen; accept milliseconds too (protocol §10)
        Instant at = ts > 100_000_000_000L ? Instant.ofEpochMilli(ts) : Instant.ofEpochSecond(ts);
        Instant now = clock.instant();
        if (at.isBefore(now.minus(maxAge)) || at.isAfter(now.plus(Duration.ofHours(1)))) {
            reject(ctx, 401, "request timestamp outside the accepted window (replay?)", "");
            return true;
        }
        return false;
    }

    private boolean tokenMatches(String got) {
        return got != null && MessageDigest.isEqual(token, got.getBytes(StandardCharsets.UTF_8));
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

    private static JsonNode parse(Context ctx, byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.isObject()) return n;
        } catch (java.io.IOException ignored) {
            // answered below
        }
        reject(ctx, 400, "body is not a JSON object", "");
        return null;
    }

    private static EventReq sdkRequest(Context ctx, byte[] body) {
        Map<String, List<String>> headers = new HashMap<>();
        for (String name : ctx.headerMap().keySet()) {
            // EventReq.getHeaderFirstValue lower-cases the name it looks up (protocol §0)
            headers.put(name.toLowerCase(), List.of(ctx.header(name)));
        }
        EventReq req = new EventReq();
        req.setHeaders(headers);
        req.setBody(body);
        req.setHttpPath(ctx.path());
        return req;
    }

    private static void reject(Context ctx, int status, String reason, String eventId) {
        Metrics.counter("bot.requests.rejected", "reason", reasonKey(status, reason)).increment();
        log.warn("rejected {} {} with {}: {}{}", ctx.method(), ctx.path(), status, reason,
                eventId == null || eventId.isEmpty() ? "" : " (event " + eventId + ")");
        ctx.status(status).json(Map.of("msg", reason));
    }

    /** A short, bounded label for the rejection metric. */
    static String reasonKey(int status, String reason) {
        if (status == 413) return "too_large";
        if (status == 403) return "token";
        if (status == 401) return "signature";
        if (reason.contains("decrypt")) return "undecryptable";
        if (reason.contains("plaintext") || reason.contains("encrypted body")) return "encryption_mismatch";
        return "malformed";
    }
}
