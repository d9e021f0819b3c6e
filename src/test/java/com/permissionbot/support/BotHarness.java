package com.permissionbot.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.permissionbot.App;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.sandbox.EmulatorConfig;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.JdbcStore;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The bot on a random port, talking through its real SDK client to the platform emulator on loopback; requests
 * are built as the platform builds them (AES-256-CBC, SHA-256 signature).
 */
public final class BotHarness implements AutoCloseable {
    public static final String TOKEN = "vtoken-harness";
    public static final String KEY = "encrypt-key-harness";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final PlatformEmulator platform;
    public final App app;
    public final Path db;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final boolean ownsPlatform;

    /** The bot's clock: the system's, which a test may move forward. */
    public final OffsetClock clock;

    private BotHarness(PlatformEmulator platform, App app, Path db, boolean ownsPlatform, OffsetClock clock) {
        this.ownsPlatform = ownsPlatform;
        this.clock = clock;
        this.platform = platform;
        this.app = app;
        this.db = db;
    }

    /** A bot with a fresh database file in {@code dir} and a fresh emulator. */
    public static BotHarness start(Path dir) {
        PlatformEmulator platform = PlatformEmulator.start();
        return create(dir, platform, "", true);
    }

    /** A bot on the given database file and emulator, with extra YAML config. */
    public static BotHarness start(Path dir, PlatformEmulator platform, String extraYaml) {
        return create(dir, platform, extraYaml, false);
    }

    private static BotHarness create(Path dir, PlatformEmulator platform, String extraYaml, boolean owns) {
        Path db = dir.resolve("bot.db");
        BotConfig cfg = config(platform, db, extraYaml);
        OffsetClock clock = new OffsetClock();
        App app = new App(cfg, JdbcStore.open(cfg.databaseUrl()), new SdkFeishuGateway(cfg.feishu(), clock), clock).start();
        return new BotHarness(platform, app, db, owns, clock);
    }

    public static BotConfig config(PlatformEmulator platform, Path db, String extraYaml) {
        EmulatorConfig e = platform.config();
        return new ConfigLoader(Map.of(
                "FEISHU_APP_ID", e.appId(), "FEISHU_APP_SECRET", e.appSecret(),
                "FEISHU_VERIFICATION_TOKEN", TOKEN, "FEISHU_ENCRYPT_KEY", KEY,
                "FEISHU_BASE_URL", platform.baseUrl(), "DATABASE_URL", "jdbc:sqlite:" + db, "PORT", "0"))
                .parse("inbox:\n  poll_ms: 200\n" + extraYaml);
    }

    /** A message a user wrote in {@code chatId}, known to the platform so the bot can reply to it; its om_ id. */
    public String userMessage(String chatId) {
        return platform.im().addUserMessage(chatId, "ou_alice", "text", "{\"text\":\"\"}").messageId();
    }

    /** The user says {@code text} in {@code chatId}; returns the bot's reply to it. */
    public SentMessage say(String chatId, String text) {
        String mid = userMessage(chatId);
        String event = chatId.startsWith("oc_group") ? Events.group("ev-" + mid, mid, "@_user_1 " + text, platform.config().botOpenId())
                : Events.p2p("ev-" + mid, mid, text);
        if (push("/webhook/event", event).statusCode() != 200) throw new AssertionError("event not acknowledged");
        return awaitMessages(m -> m.stream().anyMatch(s -> mid.equals(s.parentId()))).stream()
                .filter(s -> mid.equals(s.parentId())).findFirst().orElseThrow();
    }

    /** Clicks the button with callback action {@code action} on the bot's card {@code card}; returns the callback's answer. */
    public JsonNode click(SentMessage card, String operator, String action) {
        return submit(card, operator, action, Map.of());
    }

    /** Types {@code form} (input name to text) into the card's form and clicks its submit button {@code action}. */
    public JsonNode submit(SentMessage card, String operator, String action, Map<String, String> form) {
        Map<String, String> value = CardJson.button(card.content(), action);
        if (value == null) throw new AssertionError("no '" + action + "' button on " + card.content());
        HttpResponse<String> r = push("/webhook/card", Events.click("ev-click-" + UUID.randomUUID(), card.messageId(), operator,
                value, form));
        if (r.statusCode() != 200) throw new AssertionError("callback answered " + r.statusCode() + ": " + r.body());
        return json(r.body());
    }

    public String url(String path) {
        return "http://127.0.0.1:" + app.port() + path;
    }

    /** Encrypts and signs a plain event as the platform does and posts it. */
    public HttpResponse<String> push(String path, String plainJson) {
        String body = "{\"encrypt\":\"" + PlatformCrypto.encrypt(KEY, plainJson) + "\"}";
        return postSigned(path, body.getBytes(StandardCharsets.UTF_8));
    }

    public HttpResponse<String> postSigned(String path, byte[] body) {
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = UUID.randomUUID().toString();
        return post(path, body, Map.of("X-Lark-Request-Timestamp", ts, "X-Lark-Request-Nonce", nonce,
                "X-Lark-Signature", PlatformCrypto.sign(ts, nonce, KEY, body)));
    }

    public HttpResponse<String> post(String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the bot has said something matching, and returns everything it said. */
    public List<SentMessage> awaitMessages(Predicate<List<SentMessage>> done) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            List<SentMessage> m = platform.messages();
            if (done.test(m)) return m;
            sleep(20);
        }
        throw new AssertionError("the bot did not answer as expected; it said: " + platform.messages());
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the bot; the emulator stays up when it was handed in from outside. */
    @Override
    public void close() {
        app.close();
        if (ownsPlatform) platform.close();
    }
}
