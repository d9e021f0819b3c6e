package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lark.oapi.google.protobuf.ByteString;
import com.lark.oapi.google.protobuf.InvalidProtocolBufferException;
import com.lark.oapi.okhttp.Dispatcher;
import com.lark.oapi.okhttp.OkHttpClient;
import com.lark.oapi.okhttp.Request;
import com.lark.oapi.okhttp.Response;
import com.lark.oapi.okhttp.WebSocket;
import com.lark.oapi.okhttp.WebSocketListener;
import com.lark.oapi.ws.Constant;
import com.lark.oapi.ws.pb.Pbbp2;
import com.permissionbot.feishu.Wire;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.Transport;
import com.permissionbot.util.Threads;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;

/**
 * The long-connection transport: one WebSocket the bot opens to the platform, carrying the SDK's
 * {@code pbbp2.Frame}s over the SDK's shaded OkHttp. It asks the endpoint for a fresh URL before every connect, pings
 * at the platform's interval and reconnects when a pong does not come within {@code pong_timeout_ms}, reconnects within
 * seconds after any close, adopts the ClientConfig of every pong, joins fragments, hands each payload to the
 * {@link Intake} and acknowledges it only with the intake's verdict: 200 once stored (durable), 500 when the store
 * failed (the platform pushes it again), a click's answer in {@code data}. A 403 or the connection limit is fatal.
 * See https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case
 * and, for the wire protocol, oapi-sdk-java {@code ws/Client.java}.
 */
public final class LongConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LongConnection.class);
    private static final ObjectMapper JSON = Wire.JSON;

    /** {@code method} of a frame: control (ping, pong) or data ({@code ws/enums/FrameType.java} in the SDK). */
    static final int CONTROL = 0;
    static final int DATA = 1;
    static final String PING = "ping";
    static final String PONG = "pong";
    /** How long a close waits for the platform's close frame before it cuts the TCP connection. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /** Bounds for messages in parts (the largest message is the webhook's body limit). */
    static final int MAX_MESSAGES_IN_PARTS = 64;
    static final Duration MAX_PARTS_AGE = Duration.ofSeconds(30);
    /** Threads that hand payloads to the intake; a click may hold one for up to about 2 s. */
    static final int WORKERS = 16;

    private static final Timer ACK = Timer.builder("bot.long_connection.ack").description("from a whole message to its ack")
            .publishPercentiles(0.5, 0.99).register(Metrics.globalRegistry);

    /** What /healthz adds for the transport, and whether it may answer 200. */
    public record Health(boolean ok, Map<String, Object> fields) {
        /** Webhooks have nothing to connect. */
        public static final Health WEBHOOK = new Health(true, Map.of("transport", Transport.WEBHOOK));
    }

    /** Open long connections in this process (one per bot; two App instances in a test make two). */
    private static final java.util.concurrent.atomic.AtomicInteger OPEN = Metrics.globalRegistry.gauge(
            "bot.long_connection.connected", new java.util.concurrent.atomic.AtomicInteger());

    private final Intake intake;
    private final TransportHealth health;
    private final String base;
    private final Transport transport;
    private final Clock clock;
    private final RandomGenerator random;
    private final LongConnectionEndpoint endpoint;
    private final OkHttpClient sockets;
    private final ThreadPoolExecutor io;
    private final ScheduledThreadPoolExecutor control;
    private final ThreadPoolExecutor work;
    private final Fragments fragments;

    // written on the control thread only; volatile where status() and the frame threads read them
    private volatile Link current;
    private Link connecting;
    private ScheduledFuture<?> nextAttempt;
    private int failures;
    private long lostAtNanos;
    private volatile ServerTiming timing = ServerTiming.PLATFORM;
    private volatile Instant since;
    private volatile String stopped;
    private volatile boolean closing;

    public LongConnection(BotConfig.Feishu cfg, long maxPayloadBytes, Intake intake, TransportHealth health, Clock clock) {
        this(cfg, maxPayloadBytes, intake, health, clock, new Random());
    }

    /** {@code random}: the reconnect jitter (up to {@code reconnect_jitter_ms}; tests set that to 0). */
    public LongConnection(BotConfig.Feishu cfg, long maxPayloadBytes, Intake intake, TransportHealth health, Clock clock,
                          RandomGenerator random) {
        this.intake = intake;
        this.health = health;
        health.follow(this);
        this.base = cfg.baseUrl();
        this.transport = cfg.transport();
        this.clock = clock;
        this.random = random;
        this.since = clock.instant();
        this.io = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                Threads.named("feishu-ws-io"));
        this.control = new ScheduledThreadPoolExecutor(1, Threads.named("feishu-ws"));
        control.setRemoveOnCancelPolicy(true);
        this.work = new ThreadPoolExecutor(WORKERS, WORKERS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                Threads.named("feishu-ws-work"));
        work.allowCoreThreadTimeOut(true);
        OkHttpClient base = new OkHttpClient.Builder()
                .dispatcher(new Dispatcher(io))
                .connectTimeout(cfg.connectTimeout())
                .readTimeout(cfg.readTimeout())
                .writeTimeout(cfg.readTimeout())
                .build();
        this.sockets = base;
        this.endpoint = new LongConnectionEndpoint(base.newBuilder().callTimeout(cfg.callTimeout()).build(), cfg.baseUrl(),
                cfg.appId(), cfg.appSecret());
        Metrics.counter("bot.long_connection.reconnects"); // shown from the start, at 0
        this.fragments = new Fragments(MAX_MESSAGES_IN_PARTS, maxPayloadBytes, 4 * maxPayloadBytes, MAX_PARTS_AGE, System::nanoTime);
    }

    /** Starts connecting (after the jitter) and returns at once; the connection comes up in the background. */
    public LongConnection start() {
        log.info("long connection: connecting through {} (events and card callbacks come over it; no public URL needed)", base);
        onControl(() -> scheduleAttempt(jitter()));
        return this;
    }

    /** Open now? */
    public boolean connected() {
        return current != null;
    }

    /** The id of the open connection (the URL's {@code device_id}), or null. */
    public String connectionId() {
        Link l = current;
        return l == null ? null : l.id;
    }

    /** When it last connected, or lost its connection (or started, before the first). */
    public Instant since() {
        return since;
    }

    /** Why it stopped trying for good (a 403, the connection limit, refused credentials), or null. */
    public String stopped() {
        return stopped;
    }

    /** Connected, and since when; 503 once it has been without a connection for longer than {@code unhealthy_after_seconds}. */
    public Health health() {
        Link l = current;
        Instant s = since;
        boolean ok = l != null || Duration.between(s, clock.instant()).compareTo(transport.unhealthyAfter()) <= 0;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("transport", Transport.WEBSOCKET);
        f.put("connected", l != null);
        f.put(l != null ? "connected_since" : "disconnected_since", s.toString());
        if (l != null) f.put("connection_id", l.id);
        if (stopped != null) f.put("stopped", stopped);
        return new Health(ok, f);
    }

    /** Closes the socket with a close frame (cut after {@link #CLOSE_WAIT}), lets running handlers finish, ends every thread. */
    @Override
    public void close() {
        closing = true;
        CompletableFuture<Link> closed = new CompletableFuture<>();
        try {
            control.execute(() -> closed.complete(closeLinks()));
        } catch (RejectedExecutionException e) {
            closed.complete(null);
        }
        Link l = null;
        try {
            l = closed.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (l != null) l.ended.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // cut below
        }
        if (l != null && !l.ended.isDone()) l.cancel();
        control.shutdownNow();
        work.shutdown();
        await(work, Duration.ofSeconds(3));
        io.shutdown();
        sockets.connectionPool().evictAll();
        await(control, Duration.ofSeconds(2));
        if (!await(io, Duration.ofSeconds(2))) io.shutdownNow();
        if (current != null) {
            current = null;
            OPEN.decrementAndGet();
        }
        log.info("long connection: closed");
    }

    private Link closeLinks() {
        if (nextAttempt != null) nextAttempt.cancel(false);
        Link c = connecting;
        if (c != null) c.cancel();
        Link l = current;
        if (l == null) return c;
        l.stopTimers();
        if (!l.socket.close(1000, "the bot is shutting down")) l.cancel();
        return l;
    }

    // ---- connecting ------------------------------------------------------------------------------------------------

    private void scheduleAttempt(Duration wait) {
        if (closing || stopped != null) return;
        if (nextAttempt != null) nextAttempt.cancel(false);
        nextAttempt = control.schedule(guarded(this::attempt), wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One attempt: a fresh URL from the endpoint, then the handshake (its outcome arrives in the listener). */
    private void attempt() {
        nextAttempt = null;
        if (closing || stopped != null || current != null || connecting != null) return;
        LongConnectionEndpoint.Answer a;
        try {
            a = endpoint.fetch();
        } catch (LongConnectionEndpoint.Refused r) {
            if (r.fatal) stop(r.getMessage());
            else attemptFailed(r.getMessage());
            return;
        }
        if (closing) return;
        timing = timing.merge(a.clientConfig());
        Link l = new Link(a.url());
        connecting = l;
        // https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case
        l.socket = sockets.newWebSocket(new Request.Builder().url(a.url()).build(), l);
        Duration limit = Duration.ofMillis(sockets.connectTimeoutMillis() + sockets.readTimeoutMillis()).plusSeconds(1);
        control.schedule(guarded(() -> {
            if (connecting == l) {
                l.cancel();
                failedBeforeOpen(l, "the handshake did not finish within " + limit.toMillis() + " ms");
            }
        }), limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void opened(Link l) {
        if (connecting != l || closing) {
            l.cancel();
            return;
        }
        connecting = null;
        current = l;
        OPEN.incrementAndGet();
        since = clock.instant();
        int tries = failures + 1;
        failures = 0;
        if (lostAtNanos != 0) {
            log.info("long connection {}: open again {} ms after the last one ended ({} attempt{})", l.id,
                    (System.nanoTime() - lostAtNanos) / 1_000_000, tries, tries == 1 ? "" : "s");
        } else {
            log.info("long connection {}: open", l.id);
        }
        ping(l);
    }

    /** A refused handshake: 403, and 514 with 1000040350 (the 50-connection limit), are fatal ({@code ws/Listener.java}). */
    private void refused(Link l, int status, String msg, String authErrCode) {
        if (connecting != l) return;
        connecting = null;
        l.gone = true;
        if (status == Constant.FORBIDDEN) {
            stop("the platform refused the long connection with 403 (" + msg + "): check that FEISHU_APP_ID is a self-built app "
                    + "(企业自建应用) with the long connection allowed, or use FEISHU_TRANSPORT=webhook");
        } else if (status == Constant.AUTH_FAILED && String.valueOf(Constant.EXCEED_CONN_LIMIT).equals(authErrCode)) {
            stop("the platform refused the long connection: the app already holds the most connections it allows (514, "
                    + Constant.EXCEED_CONN_LIMIT + ", 50 per app); stop other processes connected with this app id "
                    + "(test and staging copies count too)");
        } else {
            attemptFailed("the handshake was refused with " + status + " (" + msg + ", " + authErrCode + ")");
        }
    }

    private void failedBeforeOpen(Link l, String why) {
        if (connecting != l) return;
        connecting = null;
        l.gone = true;
        attemptFailed(why);
    }

    /** Waits the platform's interval (doubling from {@code retry_first_ms}) plus jitter; gives up after ReconnectCount tries. */
    private void attemptFailed(String why) {
        failures++;
        ServerTiming t = timing;
        if (t.reconnectCount() >= 0 && failures >= Math.max(1, t.reconnectCount())) {
            stop("gave up after " + failures + " failed attempt" + (failures == 1 ? "" : "s") + ", as the platform's ReconnectCount ("
                    + t.reconnectCount() + ") says; the last one: " + why);
            return;
        }
        Duration first = transport.retryFirst();
        Duration cap = t.reconnectInterval().compareTo(first) > 0 ? t.reconnectInterval() : first;
        Duration backoff = first.multipliedBy(1L << Math.min(20, failures - 1));
        Duration wait = (backoff.compareTo(cap) > 0 ? cap : backoff).plus(jitter());
        log.warn("long connection: attempt {} failed ({}); trying again in {} ms", failures, why, wait.toMillis());
        scheduleAttempt(wait);
    }

    private void stop(String why) {
        stopped = why;
        log.error("long connection: {}; not trying again: fix it and restart the bot", why);
    }

    /** Up to {@code reconnect_jitter_ms}, and never more than the platform's ReconnectNonce. */
    private Duration jitter() {
        long max = Math.min(transport.reconnectJitter().toMillis(), timing.reconnectNonce().toMillis());
        return max <= 0 ? Duration.ZERO : Duration.ofMillis(random.nextLong(max + 1));
    }

    // ---- an open connection ----------------------------------------------------------------------------------------

    /** A ping every PingInterval ({@code ws/Client.java}); no pong within {@code pong_timeout_ms} means the link is dead. */
    private void ping(Link l) {
        if (current != l) return;
        long n = ++l.pings;
        l.lastPing = System.nanoTime();
        Pbbp2.Frame ping = Pbbp2.Frame.newBuilder().setSeqID(0).setLogID(0).setService(l.service).setMethod(CONTROL)
                .addHeaders(header(Constant.HEADER_TYPE, PING)).build();
        l.socket.send(com.lark.oapi.okio.ByteString.of(ping.toByteArray()));
        Metrics.counter("bot.long_connection.frames", "type", "ping_sent").increment();
        l.pongCheck = control.schedule(guarded(() -> {
            if (current == l && l.pongs < n) {
                l.cancel();
                lost(l, "no pong within " + transport.pongTimeout().toMillis() + " ms of a ping (the link is dead)", true);
            }
        }), transport.pongTimeout().toMillis(), TimeUnit.MILLISECONDS);
        l.pinger = control.schedule(guarded(() -> ping(l)), timing.pingInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pong(Link l, byte[] payload) {
        l.pongs = l.pings;
        JsonNode config;
        try {
            config = payload.length == 0 ? null : JSON.readTree(payload);
        } catch (java.io.IOException e) {
            config = null;
        }
        Duration before = timing.pingInterval();
        timing = timing.merge(config);
        if (!timing.pingInterval().equals(before) && current == l && l.pinger != null && l.pinger.cancel(false)) {
            long next = Math.max(0, l.lastPing + timing.pingInterval().toNanos() - System.nanoTime());
            l.pinger = control.schedule(guarded(() -> ping(l)), next, TimeUnit.NANOSECONDS);
        }
    }

    /** The connection ended (closed by either side, dropped, or found dead): reconnect after the jitter. */
    private void lost(Link l, String why, boolean abrupt) {
        if (l.gone) return;
        l.gone = true;
        l.stopTimers();
        if (connecting == l) {
            failedBeforeOpen(l, why);
            return;
        }
        if (current != l) return;
        current = null;
        OPEN.decrementAndGet();
        since = clock.instant();
        if (closing) return;
        lostAtNanos = System.nanoTime();
        Metrics.counter("bot.long_connection.reconnects").increment();
        Duration wait = jitter();
        if (abrupt) log.warn("long connection {}: {}; reconnecting in {} ms", l.id, why, wait.toMillis());
        else log.info("long connection {}: {}; reconnecting in {} ms", l.id, why, wait.toMillis());
        scheduleAttempt(wait);
    }

    /** A binary message on the reader thread: control frames go to the control thread, data to the workers. */
    private void received(Link l, byte[] bytes) {
        Pbbp2.Frame f;
        try {
            f = Pbbp2.Frame.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            Metrics.counter("bot.long_connection.frames", "type", "invalid").increment();
            log.warn("long connection {}: a message of {} bytes that is not a frame; ignored", l.id, bytes.length);
            return;
        }
        String type = headerValue(f, Constant.HEADER_TYPE);
        if (f.getMethod() == CONTROL) {
            Metrics.counter("bot.long_connection.frames", "type", PONG.equals(type) ? PONG : "control").increment();
            if (PONG.equals(type)) {
                byte[] payload = f.getPayload().toByteArray();
                onControl(() -> pong(l, payload));
            }
            return;
        }
        // "event" carries events and card.action.trigger; "card" frames go the same way (the SDK's ws/Client.java drops them unanswered)
        Metrics.counter("bot.long_connection.frames", "type", "event".equals(type) || "card".equals(type) ? type : "other").increment();
        int sum = intHeader(f, Constant.HEADER_SUM, 1);
        byte[] payload = sum <= 1 ? f.getPayload().toByteArray()
                : fragments.add(headerValue(f, Constant.HEADER_MESSAGE_ID), sum, intHeader(f, Constant.HEADER_SEQ, 0),
                f.getPayload().toByteArray());
        if (payload == null) return;
        long whole = System.nanoTime();
        try {
            work.execute(() -> handle(l, f, payload, whole));
        } catch (RejectedExecutionException closingDown) {
            // not acknowledged: the platform pushes it again to a client that is up
        }
    }

    private void handle(Link l, Pbbp2.Frame f, byte[] payload, long whole) {
        health.accepted(); // the connection is authenticated; noted before the intake, so a doctor it asks for sees it
        CompletableFuture<Received> verdict;
        try {
            verdict = intake.receive(new String(payload, StandardCharsets.UTF_8), Source.LONG_CONNECTION);
        } catch (RuntimeException e) {
            verdict = CompletableFuture.failedFuture(e);
        }
        verdict.whenComplete((r, err) -> ack(l, f, r, err, whole));
    }

    /**
     * The frame goes back with {@code biz_rt} and {@code {"code":…}}, a click's answer base64 in {@code data}
     * (the SDK's {@code ws/Client.java}); see
     * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/callback-subscription/configure-callback-request-address
     */
    private void ack(Link l, Pbbp2.Frame f, Received r, Throwable err, long whole) {
        int code = 200;
        String data = null;
        if (err != null) {
            code = 500;
            log.error("long connection {}: a payload failed in the intake ({}); acknowledged with 500, so the platform pushes it again",
                    l.id, err.toString());
        } else if (r instanceof Received.Unavailable) {
            code = 500;
        } else if (r instanceof Received.Refused x) {
            // pushing it again would not mend it: the platform authenticated the connection, so this is malformed, not forged
            Metrics.counter("bot.requests.rejected", "reason", x.metricReason()).increment();
            health.refused(x.metricReason());
            log.warn("long connection {}: refused a payload ({}){}; acknowledged with 200 all the same, as a push again would not mend it",
                    l.id, x.reason(), x.eventId() == null || x.eventId().isEmpty() ? "" : " (event " + x.eventId() + ")");
        } else if (r instanceof Received.Answered a) {
            data = CallbackAnswers.current(a.answer());
        } else if (r instanceof Received.Challenge c) {
            data = JSON.createObjectNode().put("challenge", c.challenge()).toString();
        }
        long took = System.nanoTime() - whole;
        ObjectNode body = JSON.createObjectNode().put("code", code);
        if (data != null) body.put("data", Base64.getEncoder().encodeToString(data.getBytes(StandardCharsets.UTF_8)));
        Pbbp2.Frame ack = f.toBuilder().addHeaders(header(Constant.HEADER_BIZ_RT, Long.toString(took / 1_000_000)))
                .setPayload(ByteString.copyFromUtf8(body.toString())).build();
        WebSocket ws = l.socket;
        boolean sent = ws != null && ws.send(com.lark.oapi.okio.ByteString.of(ack.toByteArray()));
        Metrics.counter("bot.long_connection.acks", "code", Integer.toString(code)).increment();
        ACK.record(took, TimeUnit.NANOSECONDS);
        if (!sent) {
            log.info("long connection {}: the ack ({}) of message {} could not be sent, the connection is gone; the platform pushes it again",
                    l.id, code, headerValue(f, Constant.HEADER_MESSAGE_ID));
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------------------------

    /** One connection attempt and, once open, the connection: the OkHttp listener of its WebSocket. */
    private final class Link extends WebSocketListener {
        final String id;
        final int service;
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        volatile WebSocket socket;
        // control thread only
        boolean gone;
        long pings;
        long lastPing;
        volatile long pongs;
        ScheduledFuture<?> pinger;
        ScheduledFuture<?> pongCheck;

        Link(String url) {
            this.id = query(url, Constant.DEVICE_ID);
            int s;
            try {
                s = Integer.parseInt(query(url, Constant.SERVICE_ID));
            } catch (NumberFormatException e) {
                s = 0;
            }
            this.service = s;
        }

        void cancel() {
            WebSocket ws = socket;
            if (ws != null) ws.cancel();
        }

        void stopTimers() {
            if (pinger != null) pinger.cancel(false);
            if (pongCheck != null) pongCheck.cancel(false);
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            socket = ws;
            onControl(() -> opened(this));
        }

        @Override
        public void onMessage(WebSocket ws, com.lark.oapi.okio.ByteString bytes) {
            received(this, bytes.toByteArray());
        }

        @Override
        public void onMessage(WebSocket ws, String text) {
            log.debug("long connection {}: a text message ({} chars); the protocol has none, ignored", id, text.length());
        }

        /** The platform sent a close frame: answer it and reconnect now, not once a ping fails (the SDK's {@code ws/Listener.java} ignores it). */
        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            ws.close(1000, null);
            onControl(() -> lost(this, "closed by the platform (" + code + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")", false));
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            ended.complete(null);
            onControl(() -> lost(this, "closed (" + code + ")", false));
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            ended.complete(null);
            if (response != null && response.code() != 101) {
                int status = response.code();
                try {
                    status = Integer.parseInt(String.valueOf(response.header(Constant.HEADER_HANDSHAKE_STATUS)).trim());
                } catch (NumberFormatException noHeader) {
                    // the HTTP status stands
                }
                int s = status;
                String msg = String.valueOf(response.header(Constant.HEADER_HANDSHAKE_MSG, response.message()));
                String auth = String.valueOf(response.header(Constant.HEADER_HANDSHAKE_AUTH_ERRCODE, ""));
                onControl(() -> refused(this, s, msg, auth));
                return;
            }
            String why = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            onControl(() -> lost(this, "the connection failed (" + why + ")", true));
        }
    }

    private void onControl(Runnable r) {
        try {
            control.execute(guarded(r));
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    /** A scheduled task's exception would vanish into its future: log it instead. */
    private static Runnable guarded(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("long connection: {}", e.toString(), e);
            }
        };
    }

    private static boolean await(java.util.concurrent.ExecutorService e, Duration d) {
        try {
            return e.awaitTermination(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Pbbp2.Header header(String key, String value) {
        return Pbbp2.Header.newBuilder().setKey(key).setValue(value).build();
    }

    static String headerValue(Pbbp2.Frame f, String key) {
        for (Pbbp2.Header h : f.getHeadersList()) {
            if (h.getKey().equals(key)) return h.getValue();
        }
        return null;
    }

    private static int intHeader(Pbbp2.Frame f, String key, int otherwise) {
        String v = headerValue(f, key);
        try {
            return v == null ? otherwise : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String query(String url, String key) {
        String q = URI.create(url).getRawQuery();
        if (q == null) return "";
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(key)) return kv.substring(eq + 1);
        }
        return "";
    }
}
