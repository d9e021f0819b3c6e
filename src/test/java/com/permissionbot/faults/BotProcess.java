package com.permissionbot.faults;

import com.permissionbot.sandbox.EmulatorConfig;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.support.BotHarness;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The bot as its own operating-system process ({@code com.permissionbot.Main} on the test JVM's classpath), pointed
 * at an emulator in the test JVM, so that it can be killed with SIGKILL ({@link Process#destroyForcibly()}).
 */
final class BotProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    final Process process;
    final int port;
    final Path log;

    private BotProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the bot on {@code db} with the YAML {@code config} and waits (at most 30 s) until /healthz answers 200. */
    static BotProcess start(PlatformEmulator platform, Path db, Path config, Path log) throws Exception {
        return start(platform, db, config, log, freePort());
    }

    /** As above, with more environment variables. */
    static BotProcess start(PlatformEmulator platform, Path db, Path config, Path log, Map<String, String> moreEnv) throws Exception {
        return start(platform, db, config, log, freePort(), moreEnv);
    }

    /** As {@link #start(PlatformEmulator, Path, Path, Path)}, on a given port (a restarted bot keeps its address). */
    static BotProcess start(PlatformEmulator platform, Path db, Path config, Path log, int port) throws Exception {
        return start(platform, db, config, log, port, Map.of());
    }

    /** As above, with more environment variables (e.g. {@code FEISHU_TRANSPORT}; an empty value unsets a default above). */
    static BotProcess start(PlatformEmulator platform, Path db, Path config, Path log, int port, Map<String, String> moreEnv)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire runs tests from a manifest-only jar; that jar (java.class.path) names the whole test classpath
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", cp, "com.permissionbot.Main"));
        EmulatorConfig e = platform.config();
        Map<String, String> env = pb.environment();
        env.put("FEISHU_APP_ID", e.appId());
        env.put("FEISHU_APP_SECRET", e.appSecret());
        env.put("FEISHU_VERIFICATION_TOKEN", BotHarness.TOKEN);
        env.put("FEISHU_ENCRYPT_KEY", BotHarness.KEY);
        env.put("FEISHU_BASE_URL", platform.baseUrl());
        env.put("PORT", String.valueOf(port));
        env.put("DATABASE_URL", "jdbc:sqlite:" + db);
        env.put("BOT_CONFIG", config.toString());
        env.remove("FEISHU_APP_VERSION");
        env.remove("FEISHU_TRANSPORT");
        env.putAll(moreEnv);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        BotProcess bot = new BotProcess(pb.start(), port, log);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (!bot.process.isAlive()) throw new IllegalStateException("the bot exited with " + bot.process.exitValue() + ":\n" + bot.tail());
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(bot.url("/healthz"))).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return bot;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        bot.process.destroyForcibly();
        throw new IllegalStateException("the bot did not become healthy in 30 s:\n" + bot.tail());
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Encrypts and signs a plain event as the platform does and posts it; the HTTP status. */
    int push(String path, String plainJson) throws Exception {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plainJson) + "\"}").getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = UUID.randomUUID().toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("X-Lark-Request-Timestamp", ts).header("X-Lark-Request-Nonce", nonce)
                .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or released. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException("the bot did not die");
    }

    /** The last lines the process wrote. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM, then SIGKILL if it does not stop within 10 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
