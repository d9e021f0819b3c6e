package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lark.oapi.google.protobuf.InvalidProtocolBufferException;
import com.lark.oapi.ws.pb.Pbbp2;
import com.permissionbot.sandbox.EventPusher.CallbackResult;
import com.permissionbot.sandbox.EventPusher.Kind;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.websocket.WsBinaryMessageContext;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsErrorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The platform's side of the long connection: the endpoint that hands out one-time WebSocket URLs, the
 * WebSocket speaking {@code pbbp2.Frame}s (pong with the ClientConfig, data frames, optionally fragmented), delivery
 * with acknowledgements (an event not acked 200 within 3 s is pushed again, a callback is answered from its ack and
 * never pushed again), cluster mode over up to 50 connections, and fault switches.
 * See https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case
 */
public final class LongConnectionGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LongConnectionGateway.class);

    public static final String ENDPOINT = "/callback/ws/endpoint";
    public static final String SOCKET_PATH = "/ws/v2";
    /** At most this many connections per app; see https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/callback-subscription/configure-callback-request-address */
    public static final int MAX_CONNECTIONS = 50;
    /** The {@code handshake-autherrcode} of a handshake over the connection limit (fatal for the SDKs). */
    public static final int EXCEED_CONN_LIMIT = 1000040350;
    /** Endpoint codes for missing and wrong credentials, as reported by users of the real platform. */
    public static final int CREDENTIALS_MISSING = 1000040344;
    public static final int CREDENTIALS_INVALID = 1000040345;
    /** How long an unused URL from the endpoint stays good (the platform's value is not documented). */
    public static final Duration TICKET_VALID_FOR = Duration.ofMinutes(5);
    /** After a close frame, how long the gateway waits for the client's before it closes the TCP connection. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(1);
    /** A connection admitted at the handshake that has not opened by then no longer holds a slot. */
    static final Duration OPENING_TIMEOUT = Duration.ofSeconds(30);

    static final String HANDSHAKE_STATUS = "handshake-status";
    static final String HANDSHAKE_MSG = "handshake-msg";
    static final String HANDSHAKE_AUTH_ERRCODE = "handshake-autherrcode";

    private static final String NO_ACK_WITHIN = "no ack within ";
    private static final int KEEP = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A refused handshake: the HTTP status (also sent as {@code handshake-status}), the message and the auth error code. */
    public record Refusal(int status, String msg, int authErrCode) {
        /** 403: fatal for the SDKs' clients. */
        public static Refusal forbidden() {
            return new Refusal(403, "forbidden", 0);
        }

        /** 514 with 1000040350: the 50-connection limit, fatal for the SDKs' clients. */
        public static Refusal connectionLimit() {
            return new Refusal(514, "exceed connection limit", EXCEED_CONN_LIMIT);
        }

        /** 514 with any other code: the SDKs' clients try again. */
        public static Refusal busy() {
            return new Refusal(514, "system busy", 0);
        }

        /** A URL that was used already, expired or never handed out (the platform's own answer is not documented). */
        static Refusal badTicket() {
            return new Refusal(514, "invalid or used connection ticket", 0);
        }
    }

    /** One handshake: when, for which connection id, and its refusal (null when it was accepted). */
    public record Handshake(Instant at, String connectionId, Refusal refusal) {
        public boolean accepted() {
            return refusal == null;
        }
    }

    /** One push of a message: its number (1 first), the platform delay before it, the connection, the ack's code (0 if none). */
    public record Attempt(int number, Duration after, Instant at, String connectionId, int code, String error, long millis,
                         int parts) {
        public boolean ok() {
            return code == 200;
        }
    }

    /** An event or callback on its way over the long connection, with every attempt so far. */
    public static final class Delivery {
        private final String eventId;
        private final String type;
        private final String messageId;
        private final Kind kind;
        private final boolean callback;
        private final String plain;
        private final Instant created = Instant.now();
        private final List<Attempt> attempts = new ArrayList<>();
        private final CompletableFuture<Attempt> first = new CompletableFuture<>();
        private final CompletableFuture<Boolean> done = new CompletableFuture<>();
        private final CompletableFuture<CallbackResult> answer = new CompletableFuture<>();

        Delivery(String eventId, String type, String messageId, Kind kind, boolean callback, String plain) {
            this.plain = plain;
            this.eventId = eventId;
            this.type = type;
            this.messageId = messageId;
            this.kind = kind;
            this.callback = callback;
        }

        public String eventId() {
            return eventId;
        }

        public String type() {
            return type;
        }

        /** The message of an {@code im.message.receive_v1} event, else empty. */
        public String messageId() {
            return messageId;
        }

        public Kind kind() {
            return kind;
        }

        /** A {@code card.action.trigger}: answered from its ack, never pushed again. */
        public boolean callback() {
            return callback;
        }

        public Instant created() {
            return created;
        }

        /** The event as pushed (plain JSON). */
        public String plain() {
            return plain;
        }

        public synchronized List<Attempt> attempts() {
            return List.copyOf(attempts);
        }

        /** The connection whose client acked it with 200, or null. */
        public synchronized String receivedBy() {
            return attempts.stream().filter(Attempt::ok).map(Attempt::connectionId).findFirst().orElse(null);
        }

        /** Completes with the first attempt. */
        public CompletableFuture<Attempt> firstAttempt() {
            return first;
        }

        /** Completes with true once a client acked it with 200, false once the platform gave up. */
        public CompletableFuture<Boolean> done() {
            return done;
        }

        /** For a callback, what the user sees (the decoded answer, or a client error code); for an event, null when done. */
        public CompletableFuture<CallbackResult> answer() {
            return answer;
        }

        synchronized void record(Attempt a) {
            attempts.add(a);
            if (a.number() == 1) first.complete(a);
        }
    }

    /** A user message registered on the platform and the delivery of its event. */
    public record Said(ImMessage message, Delivery delivery) {
    }

    /** An acknowledgement: the code of its payload, the decoded {@code data} (or null) and the client's {@code biz_rt}. */
    record Ack(int code, byte[] data, String bizRt) {
    }

    /** An ack awaited for one attempt on one connection. */
    private record Pending(Delivery delivery, LongConnection connection, CompletableFuture<Ack> ack) {
    }

    /** A failure of one attempt before any ack (not connected, connection lost, write failed). */
    private static final class NoAck extends RuntimeException {
        NoAck(String msg) {
            super(msg, null, false, false);
        }
    }

    /** Thrown in the upgrade step to refuse a handshake. */
    private static final class Refused extends RuntimeException {
        final Refusal refusal;

        Refused(Refusal r) {
            super(r.msg(), null, false, false);
            this.refusal = r;
        }
    }

    /** An unused URL from the endpoint. */
    private record Ticket(String connectionId, int serviceId, Instant issued) {
    }

    private final PlatformEmulator platform;
    private final EmulatorConfig config;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
    /** Admitted and open connections by id: the 50-connection limit counts these. */
    private final Map<String, LongConnection> admitted = new ConcurrentHashMap<>();
    private final Map<String, LongConnection> bySession = new ConcurrentHashMap<>();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Deque<Refusal> refusals = new ArrayDeque<>();
    private final Deque<Handshake> handshakes = new ArrayDeque<>();
    private final Deque<LongConnection> closedLog = new ArrayDeque<>();
    private final Deque<Delivery> recent = new ArrayDeque<>();
    private final Object changes = new Object();
    private volatile EventPusher.Settings timing = EventPusher.Settings.platform();
    private volatile ClientConfig clientConfig = ClientConfig.platform();
    private volatile int fragmentSize;
    private volatile boolean duplicates;
    private volatile PlatformEvents events;

    LongConnectionGateway(PlatformEmulator platform) {
        this.platform = platform;
        this.config = platform.config();
        this.events = new PlatformEvents(config, "");
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "long-connection-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The endpoint on the emulator's router, the WebSocket and its upgrade check on its Javalin app. */
    void register(Javalin app, Router router) {
        router.open(HandlerType.POST, ENDPOINT, this::endpoint);
        app.exception(Refused.class, (e, ctx) -> refuse(ctx, e.refusal));
        app.wsBeforeUpgrade(SOCKET_PATH, this::handshake);
        app.ws(SOCKET_PATH, ws -> {
            ws.onConnect(this::opened);
            ws.onBinaryMessage(this::received);
            ws.onClose(this::closed);
            ws.onError(this::failed);
        });
    }

    /** Retry compression and the 3 s deadline for acks (the connect timeout is not used here). */
    public LongConnectionGateway timing(EventPusher.Settings s) {
        this.timing = Objects.requireNonNull(s, "timing");
        return this;
    }

    public EventPusher.Settings timing() {
        return timing;
    }

    /** The ClientConfig in every endpoint answer and pong from now on (shorten {@code PingInterval} in tests). */
    public LongConnectionGateway clientConfig(ClientConfig c) {
        this.clientConfig = Objects.requireNonNull(c, "clientConfig");
        return this;
    }

    public ClientConfig clientConfig() {
        return clientConfig;
    }

    /** Pushes payloads in parts of at most this many bytes ({@code sum > 1}); 0 sends every message whole. */
    public LongConnectionGateway fragmentSize(int bytes) {
        if (bytes < 0) throw new IllegalArgumentException("fragment size cannot be negative");
        this.fragmentSize = bytes;
        return this;
    }

    public int fragmentSize() {
        return fragmentSize;
    }

    /** The {@code header.token} of events built by {@link #events()} (the SDK's long-connection client checks none). */
    public LongConnectionGateway verificationToken(String token) {
        this.events = new PlatformEvents(config, token == null ? "" : token);
        return this;
    }

    public PlatformEvents events() {
        return events;
    }

    /** When on, every event acked 200 is pushed once more, and an IM message also under a new event id. */
    public void setDuplicates(boolean on) {
        duplicates = on;
    }

    public boolean duplicates() {
        return duplicates;
    }

    /** The open connections. */
    public List<LongConnection> connections() {
        return admitted.values().stream().filter(c -> c.state() == LongConnection.State.OPEN)
                .sorted(java.util.Comparator.comparing(LongConnection::openedAt)).toList();
    }

    /** A connection by id, open or recently closed. */
    public Optional<LongConnection> connection(String id) {
        LongConnection c = admitted.get(id);
        if (c != null) return Optional.of(c);
        synchronized (closedLog) {
            return closedLog.stream().filter(x -> x.id().equals(id)).findFirst();
        }
    }

    /** Recently closed connections, newest first. */
    public List<LongConnection> closedConnections() {
        synchronized (closedLog) {
            return List.copyOf(closedLog);
        }
    }

    /** The latest handshakes, accepted and refused, newest first. */
    public List<Handshake> handshakes() {
        synchronized (handshakes) {
            return List.copyOf(handshakes);
        }
    }

    /** The latest deliveries, newest first. */
    public List<Delivery> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** Waits until exactly {@code n} connections are open; false if that did not happen in time. */
    public boolean awaitConnections(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (changes) {
            while (connections().size() != n) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(changes, left);
            }
            return true;
        }
    }

    /** Closes a connection with a WebSocket close frame (1000), and its TCP connection {@link #CLOSE_GRACE} later. */
    public boolean closeNormally(String connectionId) {
        LongConnection c = admitted.get(connectionId);
        if (c == null) return false;
        log.info("long connection {}: closed by the platform (close frame)", connectionId);
        c.closeNormally("closed by the platform with a close frame");
        later(CLOSE_GRACE, () -> c.drop("closed by the platform with a close frame"));
        return true;
    }

    /** Drops a connection: the TCP connection closes with no close frame. */
    public boolean drop(String connectionId) {
        LongConnection c = admitted.get(connectionId);
        if (c == null) return false;
        log.info("long connection {}: dropped by the platform (no close frame)", connectionId);
        c.drop("dropped by the platform (no close frame)");
        return true;
    }

    /** Stalls a connection (or lets it go again): no pong, no frame arrives, no ack is read; the socket stays open. */
    public boolean stall(String connectionId, boolean on) {
        LongConnection c = admitted.get(connectionId);
        if (c == null) return false;
        log.info("long connection {}: {}", connectionId, on ? "stalled" : "no longer stalled");
        c.stall(on);
        return true;
    }

    /** The next {@code times} handshakes are refused with {@code r} (e.g. {@link Refusal#forbidden()}). */
    public void refuseHandshakes(int times, Refusal r) {
        Objects.requireNonNull(r, "refusal");
        synchronized (refusals) {
            for (int i = 0; i < times; i++) refusals.addLast(r);
        }
    }

    /** Forgets the refusals still queued. */
    public void clearRefusals() {
        synchronized (refusals) {
            refusals.clear();
        }
    }

    /** Handshake refusals still queued. */
    public int refusalsLeft() {
        synchronized (refusals) {
            return refusals.size();
        }
    }

    /** Pushes a plain event (the JSON a webhook gets after decryption) to one random connected client; retried until acked 200. */
    public Delivery push(String plainEvent) {
        return start(plainEvent, Kind.ORIGINAL);
    }

    /** A user writes {@code text} in a chat: the message is registered, so the bot can reply, and its event pushed. */
    public Said say(String chatId, String chatType, PlatformEvents.Person sender, String text,
                    PlatformEvents.Person... mentioned) {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < mentioned.length; i++) t.append("@_user_").append(i + 1).append(' ');
        t.append(text);
        ImMessage m = platform.im().addUserMessage(chatId, sender.openId(), "text", PlatformEvents.textContent(t.toString()));
        return new Said(m, push(events.message(PlatformEvents.newEventId(), m, chatType, sender, mentioned)));
    }

    /** The bot is added to a group. */
    public Delivery botAdded(String chatId, String chatName, PlatformEvents.Person operator) {
        return push(events.botAdded(PlatformEvents.newEventId(), chatId, chatName, operator));
    }

    /** An approval instance changed status (schema 1.0 event). */
    public Delivery approvalInstance(String approvalCode, String instanceCode, String status) {
        return push(events.approvalInstance(PlatformEvents.newEventId(), approvalCode, instanceCode, status,
                config.clock().instant()));
    }

    /** Pushes a delivered event again: the same event id, or (for an IM message) a new event id for the same message. */
    public Delivery redeliver(Delivery d, boolean newEventId) {
        return newEventId ? start(withNewEventId(d.plain()), Kind.REPUSH) : start(d.plain(), Kind.DUPLICATE);
    }

    /**
     * A click on a button of the bot's card: a {@code card.action.trigger} with a fresh {@code c-} token, pushed once;
     * waits for the ack (at most the deadline) and applies the answer's card like the client does.
     */
    public CallbackResult click(String messageId, PlatformEvents.Person operator, JsonNode value, String elementName) {
        return click(messageId, operator, value, elementName, null);
    }

    /** A click on a form's submit button: as above, with the form's inputs by name ({@code formValue}, null for none). */
    public CallbackResult click(String messageId, PlatformEvents.Person operator, JsonNode value, String elementName,
                                JsonNode formValue) {
        ImMessage m = platform.im().find(messageId).orElse(null);
        CallbackResult refused = CardClicks.refusal(platform, m, messageId);
        if (refused != null) return refused;
        String token = platform.cardTokens().issue(messageId);
        Delivery d = push(events.cardAction(PlatformEvents.newEventId(), token, messageId, m.chatId(), operator, value, elementName, formValue));
        try {
            return d.answer().get(timing.deadline().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CallbackResult(0, null, EventPusher.CALLBACK_TIMEOUT, "interrupted", 0, token, false);
        } catch (ExecutionException | TimeoutException e) {
            return new CallbackResult(0, null, EventPusher.CALLBACK_TIMEOUT, e.toString(), 0, token, false);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        pending.values().forEach(p -> p.ack().completeExceptionally(new NoAck("the platform stopped")));
    }

    /** See https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case ({@code ws/client.go getConnURL} in the SDKs). */
    private void endpoint(Context ctx) {
        JsonNode body = Envelope.body(ctx);
        String appId = body.path("AppID").asText("");
        String secret = body.path("AppSecret").asText("");
        if (appId.isEmpty() || secret.isEmpty()) {
            Envelope.topLevel(ctx, Envelope.object().put("code", CREDENTIALS_MISSING).put("msg", "app_id or app_secret is empty"));
            return;
        }
        if (!appId.equals(config.appId()) || !secret.equals(config.appSecret())) {
            Envelope.topLevel(ctx, Envelope.object().put("code", CREDENTIALS_INVALID).put("msg", "app_id or app_secret is invalid"));
            return;
        }
        Instant now = config.clock().instant();
        tickets.values().removeIf(t -> t.issued().plus(TICKET_VALID_FOR).isBefore(now));
        String id = Long.toString(1_000_000_000_000_000_000L + RANDOM.nextLong(8_000_000_000_000_000_000L));
        int service = 1 + RANDOM.nextInt(1 << 30);
        String ticket = hex(16);
        tickets.put(ticket, new Ticket(id, service, now));
        String url = "ws://127.0.0.1:" + platform.port() + SOCKET_PATH + "?device_id=" + id + "&service_id=" + service
                + "&ticket=" + ticket;
        ObjectNode data = Envelope.object().put("URL", url);
        data.set("ClientConfig", clientConfig.toJson());
        ObjectNode out = Envelope.object().put("code", 0).put("msg", "ok");
        out.set("data", data);
        Envelope.topLevel(ctx, out);
    }

    /** Before the upgrade: a queued refusal, then the one-time ticket, then the connection limit (the SDK's {@code ws/Listener.java}). */
    private void handshake(Context ctx) {
        String id = ctx.queryParam("device_id");
        Refusal queued;
        synchronized (refusals) {
            queued = refusals.pollFirst();
        }
        if (queued != null) throw refused(id, queued);
        Ticket t = ctx.queryParam("ticket") == null ? null : tickets.remove(ctx.queryParam("ticket"));
        Instant now = config.clock().instant();
        if (t == null || !t.connectionId().equals(id) || !String.valueOf(t.serviceId()).equals(ctx.queryParam("service_id"))
                || t.issued().plus(TICKET_VALID_FOR).isBefore(now)) {
            throw refused(id, Refusal.badTicket());
        }
        synchronized (admitted) {
            Instant stale = now.minus(OPENING_TIMEOUT);
            admitted.values().removeIf(c -> c.state() == LongConnection.State.OPENING && c.admittedAt().isBefore(stale));
            if (admitted.size() >= MAX_CONNECTIONS) throw refused(id, Refusal.connectionLimit());
            admitted.put(id, new LongConnection(id, t.serviceId(), now));
        }
        remember(handshakes, new Handshake(now, id, null));
    }

    private Refused refused(String id, Refusal r) {
        log.info("long connection {}: handshake refused with {} ({}, {})", id, r.status(), r.msg(), r.authErrCode());
        remember(handshakes, new Handshake(config.clock().instant(), id, r));
        return new Refused(r);
    }

    private static void refuse(Context ctx, Refusal r) {
        ctx.status(r.status());
        ctx.header(HANDSHAKE_STATUS, Integer.toString(r.status()));
        ctx.header(HANDSHAKE_MSG, r.msg());
        ctx.header(HANDSHAKE_AUTH_ERRCODE, Integer.toString(r.authErrCode()));
        ctx.contentType("application/json; charset=utf-8")
                .result(Envelope.object().put("code", r.status()).put("msg", r.msg()).toString());
    }

    private void opened(WsConnectContext ctx) {
        LongConnection c = admitted.get(String.valueOf(ctx.queryParam("device_id")));
        if (c == null) {
            ctx.closeSession(1008, "not admitted");
            return;
        }
        c.opened(ctx.session, config.clock().instant());
        bySession.put(ctx.sessionId(), c);
        log.info("long connection {}: open ({} open)", c.id(), connections().size());
        signal();
    }

    private void received(WsBinaryMessageContext ctx) {
        LongConnection c = bySession.get(ctx.sessionId());
        if (c == null) return;
        if (c.stalled()) {
            c.countIgnored();
            return;
        }
        Pbbp2.Frame f;
        try {
            f = Pbbp2.Frame.parseFrom(Arrays.copyOfRange(ctx.data(), ctx.offset(), ctx.offset() + ctx.length()));
        } catch (InvalidProtocolBufferException e) {
            log.warn("long connection {}: a message that is not a Frame ({} bytes)", c.id(), ctx.length());
            return;
        }
        if (f.getMethod() == Frames.CONTROL) {
            if (Frames.PING.equals(Frames.header(f, Frames.TYPE))) {
                c.countPing();
                c.sendControl(Frames.pong(f, clientConfig));
            }
            return;
        }
        String frameId = Frames.header(f, Frames.MESSAGE_ID);
        Pending p = frameId == null ? null : pending.get(frameId);
        if (p == null || p.connection() != c) {
            log.debug("long connection {}: an ack for {} that nothing awaits (late or unknown)", c.id(), frameId);
            return;
        }
        c.countAck();
        p.ack().complete(parseAck(f));
    }

    private void closed(WsCloseContext ctx) {
        LongConnection c = bySession.remove(ctx.sessionId());
        if (c == null) return;
        ended(c, "closed with " + ctx.status() + (ctx.reason() == null || ctx.reason().isEmpty() ? "" : " " + ctx.reason()));
    }

    private void failed(WsErrorContext ctx) {
        LongConnection c = bySession.get(ctx.sessionId());
        log.debug("long connection {}: {}", c == null ? "?" : c.id(), String.valueOf(ctx.error()));
    }

    private void ended(LongConnection c, String cause) {
        if (!c.closed(cause, config.clock().instant())) return;
        admitted.remove(c.id(), c);
        remember(closedLog, c);
        log.info("long connection {}: {} ({} open)", c.id(), c.closeCause(), connections().size());
        pending.values().stream().filter(p -> p.connection() == c)
                .forEach(p -> p.ack().completeExceptionally(new NoAck("the connection closed before the ack")));
        signal();
    }

    private void signal() {
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    private Delivery start(String plain, Kind kind) {
        JsonNode json = CardClicks.parseOrNull(plain);
        if (json == null || !json.isObject()) throw new IllegalArgumentException("an event must be a JSON object");
        boolean v2 = json.has("schema");
        String eventId = v2 ? json.path("header").path("event_id").asText("") : json.path("uuid").asText("");
        String type = v2 ? json.path("header").path("event_type").asText("") : json.path("event").path("type").asText("");
        String messageId = json.path("event").path("message").path("message_id").asText("");
        Delivery d = new Delivery(eventId, type, messageId, kind, "card.action.trigger".equals(type), plain);
        remember(recent, d);
        attempt(d, plain, 0);
        return d;
    }

    /**
     * Attempt {@code n + 1} to one random open connection (cluster mode); see
     * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/callback-subscription/configure-callback-request-address
     */
    private void attempt(Delivery d, String plain, int n) {
        Duration after = n == 0 ? Duration.ZERO : EventPusher.RETRY_SCHEDULE.get(n - 1);
        Instant at = config.clock().instant();
        long t0 = System.nanoTime();
        List<LongConnection> open = connections();
        if (open.isEmpty()) {
            finish(d, plain, n, new Attempt(n + 1, after, at, null, 0, "no client connected", 0, 0), null);
            return;
        }
        LongConnection c = open.get(ThreadLocalRandom.current().nextInt(open.size()));
        String frameId = hex(16);
        byte[] payload = plain.getBytes(StandardCharsets.UTF_8);
        List<Pbbp2.Frame> frames = Frames.data(c.serviceId(), c.nextFrameSeq(), Frames.EVENT, frameId, hex(8), payload,
                fragmentSize, System.currentTimeMillis());
        Pending p = new Pending(d, c, new CompletableFuture<>());
        pending.put(frameId, p);
        p.ack().orTimeout(timing.deadline().toMillis(), TimeUnit.MILLISECONDS).whenComplete((ack, err) -> {
            pending.remove(frameId, p);
            String error = err == null ? (ack.code() == 200 ? null : "acked with code " + ack.code()) : describe(err);
            finish(d, plain, n, new Attempt(n + 1, after, at, c.id(), ack == null ? 0 : ack.code(), error, ms(t0), frames.size()), ack);
        });
        if (!c.send(frames, x -> p.ack().completeExceptionally(new NoAck("write failed: " + x)))) {
            p.ack().completeExceptionally(new NoAck("the connection closed before the push"));
        }
    }

    private void finish(Delivery d, String plain, int n, Attempt a, Ack ack) {
        d.record(a);
        if (d.callback()) {
            d.done.complete(a.ok());
            d.answer.complete(answerOf(plain, a, ack));
            return;
        }
        if (a.ok()) {
            d.done.complete(true);
            d.answer.complete(null);
            if (duplicates && d.kind() == Kind.ORIGINAL) {
                later(EventPusher.DUPLICATE_AFTER, () -> start(plain, Kind.DUPLICATE));
                if ("im.message.receive_v1".equals(d.type())) {
                    later(EventPusher.DUPLICATE_AFTER.multipliedBy(2), () -> start(withNewEventId(plain), Kind.REPUSH));
                }
            }
            return;
        }
        if (n < EventPusher.RETRY_SCHEDULE.size()) {
            Duration next = EventPusher.RETRY_SCHEDULE.get(n);
            log.info("event {} ({}): attempt {} over the long connection failed ({}); pushing again in {} (platform time)",
                    d.eventId(), d.type(), a.number(), a.error(), next);
            later(compress(next), () -> attempt(d, plain, n + 1));
        } else {
            log.warn("event {} ({}): all {} retries failed; the platform gives up", d.eventId(), d.type(),
                    EventPusher.RETRY_SCHEDULE.size());
            d.done.complete(false);
            d.answer.complete(null);
        }
    }

    /**
     * What the user sees after a click: the answer in the ack's {@code data}, or the client's error code; see
     * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/callback-subscription/callback-overview
     */
    private CallbackResult answerOf(String plain, Attempt a, Ack ack) {
        JsonNode ev = CardClicks.parseOrNull(plain).path("event");
        String token = ev.path("token").asText(null);
        if (ack == null) {
            boolean timeout = a.error() != null && a.error().startsWith(NO_ACK_WITHIN);
            return new CallbackResult(0, null, timeout ? EventPusher.CALLBACK_TIMEOUT : EventPusher.CALLBACK_CONNECT_FAILED,
                    a.error(), a.millis(), token, false);
        }
        if (ack.code() != 200) {
            return new CallbackResult(ack.code(), null, EventPusher.CALLBACK_NOT_200, "the client acked with code " + ack.code(),
                    a.millis(), token, false);
        }
        String body = ack.data() == null ? "{}" : new String(ack.data(), StandardCharsets.UTF_8);
        ImMessage m = platform.im().find(ev.path("context").path("open_message_id").asText("")).orElse(null);
        if (m == null) {
            JsonNode json = CardClicks.parseOrNull(body);
            return json == null || !json.isObject()
                    ? new CallbackResult(200, null, EventPusher.CALLBACK_BAD_BODY, "the callback's answer is not a JSON object", a.millis(), token, false)
                    : new CallbackResult(200, json, 0, null, a.millis(), token, false);
        }
        return CardClicks.judge(platform, m, body, a.millis(), token);
    }

    /** The ack's payload {@code {"code":200,"data":"<base64>"}} (the SDK's {@code ws/model/Response}); a bad one counts as code 0. */
    private static Ack parseAck(Pbbp2.Frame f) {
        String bizRt = Frames.header(f, Frames.BIZ_RT);
        JsonNode json = CardClicks.parseOrNull(f.getPayload().toStringUtf8());
        if (json == null || !json.path("code").canConvertToInt()) return new Ack(0, null, bizRt);
        byte[] data = null;
        JsonNode d = json.path("data");
        if (d.isTextual()) {
            try {
                data = Base64.getDecoder().decode(d.asText());
            } catch (IllegalArgumentException e) {
                data = "not base64".getBytes(StandardCharsets.UTF_8);
            }
        }
        return new Ack(json.path("code").asInt(), data, bizRt);
    }

    private String describe(Throwable err) {
        Throwable c = err;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) c = c.getCause();
        if (c instanceof TimeoutException) return NO_ACK_WITHIN + timing.deadline().toMillis() + " ms";
        return c instanceof NoAck ? c.getMessage() : c.toString();
    }

    private void later(Duration delay, Runnable r) {
        try {
            scheduler.schedule(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("long connection: {}", e.toString());
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopped) {
            // the platform stopped: nothing more is delivered
        }
    }

    private Duration compress(Duration d) {
        return Duration.ofNanos((long) (d.toNanos() / timing.timeCompression()));
    }

    private static String withNewEventId(String plain) {
        try {
            ObjectNode n = (ObjectNode) Envelope.JSON.readTree(plain);
            ((ObjectNode) n.get("header")).put("event_id", PlatformEvents.newEventId());
            return n.toString();
        } catch (JsonProcessingException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("not a schema 2.0 event: " + e);
        }
    }

    private static <T> void remember(Deque<T> q, T item) {
        synchronized (q) {
            q.addFirst(item);
            while (q.size() > KEEP) q.removeLast();
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
