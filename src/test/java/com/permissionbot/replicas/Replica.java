package com.permissionbot.replicas;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.App;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.OffsetClock;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One replica of the bot as a web dyno runs it: its own App on its own port, its own store pool and its own SDK
 * client (token cache, version cache), all replicas on one database and one platform (the emulator).
 */
final class Replica implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final App app;
    final OffsetClock clock;

    private Replica(String name, App app, OffsetClock clock) {
        this.name = name;
        this.app = app;
        this.clock = clock;
    }

    static Replica start(String name, PlatformEmulator platform, String databaseUrl, String extraYaml) {
        BotConfig cfg = BotHarness.config(platform, Path.of("unused.db"), extraYaml).withDatabaseUrl(databaseUrl);
        OffsetClock clock = new OffsetClock();
        App app = new App(cfg, JdbcStore.open(cfg.databaseUrl()), new SdkFeishuGateway(cfg.feishu(), clock), clock).start();
        return new Replica(name, app, clock);
    }

    /** Encrypts and signs a plain event as the platform does and posts it, without waiting. */
    CompletableFuture<HttpResponse<String>> push(String path, String plainJson) {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plainJson) + "\"}").getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = UUID.randomUUID().toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("X-Lark-Request-Timestamp", ts)
                .header("X-Lark-Request-Nonce", nonce)
                .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        app.close();
    }

    /** An im.message.receive_v1 event: {@code ou_alice} writes {@code text} in the 1:1 chat {@code chatId}. */
    static String message(String eventId, String messageId, String chatId, String text) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", "2.0");
        root.putObject("header").put("event_id", eventId).put("event_type", "im.message.receive_v1")
                .put("create_time", String.valueOf(System.currentTimeMillis())).put("token", BotHarness.TOKEN)
                .put("app_id", "cli_sandbox").put("tenant_key", TwoReplicasTest.TENANT);
        ObjectNode ev = root.putObject("event");
        ev.putObject("sender").put("sender_type", "user").put("tenant_key", TwoReplicasTest.TENANT)
                .putObject("sender_id").put("open_id", "ou_alice").put("union_id", "on_alice").put("user_id", "alice");
        ev.putObject("message").put("message_id", messageId).put("chat_id", chatId).put("chat_type", "p2p")
                .put("message_type", "text").put("create_time", String.valueOf(System.currentTimeMillis()))
                .put("content", JSON.createObjectNode().put("text", text).toString());
        return root.toString();
    }
}
