package com.permissionbot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.App;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.sandbox.SandboxPlatform;
import com.permissionbot.store.Database;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** The bot in sandbox mode, in-process, as {@code Main} starts it with no FEISHU_APP_ID; driven through the playground API. */
final class SandboxWorld implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ALICE = "ou_alice";

    final SandboxPlatform platform;
    final App app;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private SandboxWorld(SandboxPlatform platform, App app) {
        this.platform = platform;
        this.app = app;
    }

    static SandboxWorld start(Path dir) {
        return start(dir, "");
    }

    static SandboxWorld start(Path dir, String yaml) {
        BotConfig cfg = new ConfigLoader(Map.of("PORT", "0", "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("bot.db"))).parse(yaml);
        SandboxPlatform platform = new SandboxPlatform();
        App app = null;
        try {
            app = App.create(platform.configure(cfg, Database.sqliteFile(cfg.databaseUrl())), Clock.systemUTC()).start();
            platform.attach(app);
            return new SandboxWorld(platform, app);
        } catch (RuntimeException e) {
            if (app != null) app.close();
            platform.close();
            throw e;
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + app.port() + path;
    }

    HttpResponse<String> raw(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode get(String apiPath) {
        return ok(raw("GET", "/playground/api" + apiPath, null));
    }

    JsonNode post(String apiPath, JsonNode body) {
        return ok(raw("POST", "/playground/api" + apiPath, body.toString()));
    }

    JsonNode state() {
        return get("/state");
    }

    String p2pChat() {
        return state().path("users").get(0).path("p2pChat").asText();
    }

    /** Alice writes in her 1:1 chat (or in the group, with or without the @mention); returns the send answer. */
    JsonNode say(String type, String text, boolean mention) {
        ObjectNode b = JSON.createObjectNode().put("type", type).put("user", ALICE).put("text", text).put("mention", mention);
        JsonNode r = post("/send", b);
        if (r.path("delivery").path("status").asInt() != 200) throw new AssertionError("the bot did not acknowledge: " + r);
        return r;
    }

    /** The bot's reply to one message, as the playground shows it (current content), waiting up to 10 s. */
    JsonNode replyTo(String chatId, String messageId) {
        return await(chatId, m -> messageId.equals(m.path("parentId").asText()) && "bot".equals(m.path("from").asText()),
                Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no reply to " + messageId + " in "
                + get("/messages?chat=" + chatId)));
    }

    Optional<JsonNode> await(String chatId, Predicate<JsonNode> match, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        do {
            for (JsonNode m : get("/messages?chat=" + chatId).path("messages")) {
                if (match.test(m)) return Optional.of(m);
            }
            sleep(50);
        } while (System.nanoTime() < end);
        return Optional.empty();
    }

    /** The app posts {@code card} to a chat through the emulator's own IM API, as any app could (token, then send). */
    void postCardAsTheApp(String chatId, JsonNode card) {
        String base = platform.emulator().baseUrl();
        ObjectNode auth = JSON.createObjectNode().put("app_id", platform.emulator().config().appId())
                .put("app_secret", platform.emulator().config().appSecret());
        String token = json(send(HttpRequest.newBuilder(URI.create(base + "/open-apis/auth/v3/tenant_access_token/internal"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(auth.toString())))).path("tenant_access_token").asText();
        ObjectNode message = JSON.createObjectNode().put("receive_id", chatId).put("msg_type", "interactive").put("content", card.toString());
        JsonNode sent = json(send(HttpRequest.newBuilder(URI.create(base + "/open-apis/im/v1/messages?receive_id_type=chat_id"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(message.toString()))));
        if (sent.path("code").asInt(-1) != 0) throw new AssertionError("the emulator refused the card: " + sent);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(r.statusCode() + ": " + r.body(), e);
        }
    }

    /** The English title of a card. */
    static String title(JsonNode card) {
        return card.path("header").path("title").path("i18n_content").path("en_us").asText();
    }

    /** The {@code behaviors[0].value} of the button whose value has this action, anywhere in the card. */
    static Optional<JsonNode> button(JsonNode card, String action) {
        for (JsonNode n : card.findParents("behaviors")) {
            JsonNode v = n.path("behaviors").path(0).path("value");
            if ("button".equals(n.path("tag").asText()) && action.equals(v.path("action").asText())) return Optional.of(v);
        }
        return Optional.empty();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static JsonNode ok(HttpResponse<String> r) {
        if (r.statusCode() != 200) throw new AssertionError(r.uri() + " answered " + r.statusCode() + ": " + r.body());
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        app.close();
        platform.close();
    }
}
