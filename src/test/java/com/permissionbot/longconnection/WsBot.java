package com.permissionbot.longconnection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.permissionbot.App;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.edge.LongConnection;
import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.OffsetClock;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** The bot with {@code FEISHU_TRANSPORT=websocket} (app id and secret only), connected to the emulator's gateway. */
final class WsBot implements AutoCloseable {
    /** No jitter, quick retries, a half-second pong timeout. */
    static final String YAML = """
            inbox:
              poll_ms: 200
            feishu:
              transport: websocket
              long_connection:
                pong_timeout_ms: 500
                reconnect_jitter_ms: 0
                retry_first_ms: 100
                unhealthy_after_seconds: 5
            """;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final App app;
    final OffsetClock clock;

    private WsBot(App app, OffsetClock clock) {
        this.app = app;
        this.clock = clock;
    }

    static BotConfig config(PlatformEmulator platform, String databaseUrl, String yaml) {
        return new ConfigLoader(Map.of("FEISHU_APP_ID", platform.config().appId(), "FEISHU_APP_SECRET", platform.config().appSecret(),
                "FEISHU_BASE_URL", platform.baseUrl(), "DATABASE_URL", databaseUrl, "PORT", "0")).parse(yaml);
    }

    static WsBot start(PlatformEmulator platform, String databaseUrl) {
        return start(platform, databaseUrl, YAML, s -> s);
    }

    /** {@code store}: wraps the bot's store (e.g. to make it fail). */
    static WsBot start(PlatformEmulator platform, String databaseUrl, String yaml, UnaryOperator<Store> store) {
        BotConfig cfg = config(platform, databaseUrl, yaml);
        OffsetClock clock = new OffsetClock();
        App app = new App(cfg, store.apply(JdbcStore.open(cfg.databaseUrl())), new SdkFeishuGateway(cfg.feishu(), clock), clock).start();
        return new WsBot(app, clock);
    }

    LongConnection connection() {
        return app.longConnection().orElseThrow();
    }

    HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> post(String path, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls {@code condition} every 10 ms until it holds; fails after {@code max}. */
    static void await(BooleanSupplier condition, Duration max, String what) {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not within " + max + ": " + what);
            pause(10);
        }
    }

    /** {@code condition} stays true for the whole of {@code window} (a claim that something does not happen). */
    static void holds(BooleanSupplier condition, Duration window, String what) {
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            if (!condition.getAsBoolean()) throw new AssertionError("no longer true within " + window + ": " + what);
            pause(20);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        app.close();
    }
}
