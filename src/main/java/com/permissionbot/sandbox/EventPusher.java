package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers events and card callbacks to the bot's webhook as the platform does: encrypted and signed, a 2 s connect
 * timeout and a 3 s deadline, failed events re-pushed after 15 s, 5 min, 1 h and 6 h (time compressible for tests),
 * card callbacks never retried, and optionally duplicate deliveries. See
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case ,
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/overview and
 * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/callback-subscription/callback-overview
 */
public final class EventPusher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventPusher.class);

    /** When a failed event is pushed again, after the previous attempt; see https://open.feishu.cn/document/event-subscription-guide/event-subscriptions/event-callback-optimization-guide */
    public static final List<Duration> RETRY_SCHEDULE =
            List.of(Duration.ofSeconds(15), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(6));
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEADLINE = Duration.ofSeconds(3);
    /** How long after a successful delivery an injected duplicate follows. */
    public static final Duration DUPLICATE_AFTER = Duration.ofMillis(150);

    /**
     * Client-side codes a card click shows when the callback fails; see
     * https://open.feishu.cn/document/feishu-cards/card-callback-communication
     */
    public static final int CALLBACK_TIMEOUT = 200341;
    public static final int CALLBACK_CONNECT_FAILED = 200342;
    public static final int CALLBACK_NOT_200 = 200671;
    public static final int CALLBACK_BAD_BODY = 200672;
    public static final int CALLBACK_BAD_CARD = 200673;
    public static final int CALLBACK_DOWNGRADE = 200830;

    private static final int KEEP = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Timing: a compression factor for the retry schedule (1 = real time), the connect timeout and the deadline. */
    public record Settings(double timeCompression, Duration connectTimeout, Duration deadline) {
        public Settings {
            if (!(timeCompression >= 1)) {
                throw new IllegalArgumentException("timeCompression must be at least 1");
            }
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(deadline, "deadline");
        }

        /** The platform's own timing. */
        public static Settings platform() {
            return new Settings(1, CONNECT_TIMEOUT, DEADLINE);
        }

        /** The retry schedule runs {@code factor} times faster (15 s becomes 15 s / factor). */
        public Settings compressed(double factor) {
            return new Settings(factor, connectTimeout, deadline);
        }

        public Settings withDeadline(Duration d) {
            return new Settings(timeCompression, connectTimeout, d);
        }
    }

    /** Why an event was sent: first push, the same event again after a 200, or an IM message re-pushed under a new event id. */
    public enum Kind { ORIGINAL, DUPLICATE, REPUSH }

    /** One POST: its number (1 is the first push), the platform delay before it, the HTTP status (0 if none) and error. */
    public record Attempt(int number, Duration after, Instant at, int status, String error, long millis) {
        public boolean ok() {
            return status == 200;
        }
    }

    /** One event on its way, with every attempt so far. */
    public static final class Delivery {
        private final String eventId;
        private final String type;
        private final String messageId;
        private final Kind kind;
        private final Instant created = Instant.now();
        private final List<Attempt> attempts = new ArrayList<>();
        private final CompletableFuture<Attempt> first = new CompletableFuture<>();
        private final CompletableFuture<Boolean> done = new CompletableFuture<>();

        Delivery(String eventId, String type, String messageId, Kind kind) {
            this.eventId = eventId;
            this.type = type;
            this.messageId = messageId;
            this.kind = kind;
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

        public Instant created() {
            return created;
        }

        public synchronized List<Attempt> attempts() {
            return List.copyOf(attempts);
        }

        /** Completes with the first attempt. */
        public CompletableFuture<Attempt> firstAttempt() {
            return first;
        }

        /** Completes with true once the bot answered 200, false once every retry failed. */
        public CompletableFuture<Boolean> done() {
            return done;
        }

        /** Waits for the first attempt (at most the deadline and a little more). */
        public Attempt awaitFirst() {
            try {
                return first.get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("no attempt finished: " + e);
            }
        }

        synchronized void record(Attempt a) {
            attempts.add(a);
            if (a.number() == 1) first.complete(a);
        }
    }

    /** A card callback's outcome: the bot's answer, or the client-side code the user would see. */
    public record CallbackResult(int status, JsonNode body, int clientCode, String clientError, long millis,
                                 String token, boolean cardApplied) {
        public boolean ok() {
            return clientCode == 0 && status == 200;
        }

        /** The toast of the answer, or a missing node. */
        public JsonNode toast() {
            return body == null ? Envelope.object().path("toast") : body.path("toast");
        }

        /** The new card ({@code card.data} of a raw answer), or a missing node. */
        public JsonNode card() {
            return body == null ? Envelope.object().path("card") : body.path("card").path("data");
        }
    }

    /** A user message registered on the platform and the delivery of its event. */
    public record Said(ImMessage message, Delivery delivery) {
    }

    private final PlatformEmulator platform;
    private final PlatformEvents events;
    private final String webhookBase;
    private final String encryptKey;
    private final Settings settings;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final Deque<Delivery> recent = new ArrayDeque<>();
    private volatile boolean duplicates;

    /** Pushes to {@code webhookBase} (e.g. {@code http://127.0.0.1:8080}) with the app's token and encrypt key. */
    public EventPusher(PlatformEmulator platform, String webhookBase, String verificationToken, String encryptKey,
                       Settings settings) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.webhookBase = webhookBase.endsWith("/") ? webhookBase.substring(0, webhookBase.length() - 1) : webhookBase;
        this.encryptKey = encryptKey == null ? "" : encryptKey;
        this.settings = settings;
        this.events = new PlatformEvents(platform.config(), verificationToken);
        this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1).build();
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "event-pusher-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public PlatformEvents events() {
        return events;
    }

    public Settings settings() {
        return settings;
    }

    /** When on, every event answered 200 is delivered once more, and an IM message also under a new event id. */
    public void setDuplicates(boolean on) {
        duplicates = on;
    }

    public boolean duplicates() {
        return duplicates;
    }

    /** The latest deliveries, newest first. */
    public List<Delivery> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** Pushes a plain event (either schema) to {@code /webhook/event}; retried on failure. */
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
        Delivery d = push(events.message(PlatformEvents.newEventId(), m, chatType, sender, mentioned));
        return new Said(m, d);
    }

    /** The bot is added to a group. */
    public Delivery botAdded(String chatId, String chatName, PlatformEvents.Person operator) {
        return push(events.botAdded(PlatformEvents.newEventId(), chatId, chatName, operator));
    }

    /** An approval instance changed status (schema 1.0 event). */
    public Delivery approvalInstance(String approvalCode, String instanceCode, String status) {
        return push(events.approvalInstance(PlatformEvents.newEventId(), approvalCode, instanceCode, status,
                platform.config().clock().instant()));
    }

    /**
     * Checks a request URL as the developer console does when it is saved: an (encrypted, unsigned) url_verification
     * must be echoed in plain text within 1 s. {@code path} is {@code /webhook/event} or {@code /webhook/card}.
     */
    public boolean verifyUrl(String path) {
        String challenge = PlatformEvents.newEventId();
        byte[] body = wire(events.challenge(challenge));
        HttpRequest req = HttpRequest.newBuilder(URI.create(webhookBase + path)).timeout(Duration.ofSeconds(1))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && challenge.equals(Envelope.JSON.readTree(r.body()).path("challenge").asText());
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A click on a button of the bot's card: an encrypted, signed {@code card.action.trigger} with a fresh {@code c-}
     * token (usable for delayed updates), sent once; a card in the answer replaces the clicked card.
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
        String plain = events.cardAction(PlatformEvents.newEventId(), token, messageId, m.chatId(), operator, value, elementName, formValue);
        HttpRequest req = signed("/webhook/card", wire(plain));
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        try {
            r = http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                    .get(settings.deadline().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CallbackResult(0, null, CALLBACK_TIMEOUT, "interrupted", ms(t0), token, false);
        } catch (TimeoutException | ExecutionException e) {
            boolean timeout = isTimeout(e);
            return new CallbackResult(0, null, timeout ? CALLBACK_TIMEOUT : CALLBACK_CONNECT_FAILED,
                    timeout ? "the callback took longer than " + settings.deadline().toMillis() + " ms" : describe(e),
                    ms(t0), token, false);
        }
        long took = ms(t0);
        if (r.statusCode() != 200) {
            return new CallbackResult(r.statusCode(), CardClicks.parseOrNull(r.body()), CALLBACK_NOT_200,
                    "the callback answered HTTP " + r.statusCode(), took, token, false);
        }
        return CardClicks.judge(platform, m, r.body(), took, token);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    private Delivery start(String plain, Kind kind) {
        JsonNode json = CardClicks.parseOrNull(plain);
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("an event must be a JSON object");
        }
        boolean v2 = json.has("schema");
        String eventId = v2 ? json.path("header").path("event_id").asText("") : json.path("uuid").asText("");
        String type = v2 ? json.path("header").path("event_type").asText("") : json.path("event").path("type").asText("");
        String messageId = json.path("event").path("message").path("message_id").asText("");
        Delivery d = new Delivery(eventId, type, messageId, kind);
        synchronized (recent) {
            recent.addFirst(d);
            while (recent.size() > KEEP) recent.removeLast();
        }
        attempt(d, plain, 0);
        return d;
    }

    /** Attempt {@code n + 1} (n retries so far); see https://open.feishu.cn/document/server-docs/event-subscription-guide/overview */
    private void attempt(Delivery d, String plain, int n) {
        Duration after = n == 0 ? Duration.ZERO : RETRY_SCHEDULE.get(n - 1);
        Instant at = platform.config().clock().instant();
        long t0 = System.nanoTime();
        HttpRequest req;
        try {
            req = signed("/webhook/event", wire(plain));
        } catch (RuntimeException e) {
            finish(d, plain, n, new Attempt(n + 1, after, at, 0, e.toString(), 0));
            return;
        }
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                .orTimeout(settings.deadline().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, err) -> {
                    int status = r == null ? 0 : r.statusCode();
                    String error = err != null ? (isTimeout(err) ? "no answer within " + settings.deadline().toMillis() + " ms"
                            : describe(err)) : status == 200 ? null : "HTTP " + status;
                    finish(d, plain, n, new Attempt(n + 1, after, at, status, error, ms(t0)));
                });
    }

    private void finish(Delivery d, String plain, int n, Attempt a) {
        d.record(a);
        if (a.ok()) {
            d.done.complete(true);
            if (duplicates && d.kind == Kind.ORIGINAL) {
                later(DUPLICATE_AFTER, () -> start(plain, Kind.DUPLICATE));
                if ("im.message.receive_v1".equals(d.type)) {
                    later(DUPLICATE_AFTER.multipliedBy(2), () -> start(withNewEventId(plain), Kind.REPUSH));
                }
            }
            return;
        }
        if (n < RETRY_SCHEDULE.size()) {
            Duration next = RETRY_SCHEDULE.get(n);
            log.info("event {} ({}): attempt {} failed ({}); pushing again in {} (platform time)", d.eventId, d.type,
                    a.number(), a.error(), next);
            later(compress(next), () -> attempt(d, plain, n + 1));
        } else {
            log.warn("event {} ({}): all {} retries failed; the platform gives up", d.eventId, d.type, RETRY_SCHEDULE.size());
            d.done.complete(false);
        }
    }

    private void later(Duration delay, Runnable r) {
        try {
            scheduler.schedule(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("event push failed: {}", e.toString());
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the pusher was closed: nothing more is delivered
        }
    }

    private Duration compress(Duration d) {
        return Duration.ofNanos((long) (d.toNanos() / settings.timeCompression()));
    }

    /** The body as sent: {@code {"encrypt": ...}} when there is an encrypt key, else the plain JSON. */
    private byte[] wire(String plain) {
        String body = encryptKey.isEmpty() ? plain
                : Envelope.object().put("encrypt", PlatformCrypto.encrypt(encryptKey, plain)).toString();
        return body.getBytes(StandardCharsets.UTF_8);
    }

    /** See https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case */
    private HttpRequest signed(String path, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(webhookBase + path)).timeout(settings.deadline())
                .header("Content-Type", "application/json; charset=utf-8")
                .header("X-Request-Id", PlatformEvents.newEventId())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (!encryptKey.isEmpty()) {
            String ts = Long.toString(System.currentTimeMillis() / 1000);
            byte[] n = new byte[8];
            RANDOM.nextBytes(n);
            String nonce = HexFormat.of().formatHex(n);
            b.header("X-Lark-Request-Timestamp", ts).header("X-Lark-Request-Nonce", nonce)
                    .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, encryptKey, body));
        }
        return b.build();
    }

    private static String withNewEventId(String plain) {
        try {
            ObjectNode n = (ObjectNode) Envelope.JSON.readTree(plain);
            ((ObjectNode) n.get("header")).put("event_id", PlatformEvents.newEventId());
            return n.toString();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isTimeout(Throwable e) {
        Throwable c = unwrap(e);
        return (c instanceof TimeoutException || c instanceof HttpTimeoutException)
                && !(c instanceof HttpConnectTimeoutException);
    }

    private static String describe(Throwable e) {
        Throwable c = unwrap(e);
        if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException) {
            return "cannot connect: " + c.getClass().getSimpleName();
        }
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    private static Throwable unwrap(Throwable e) {
        Throwable c = e;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
