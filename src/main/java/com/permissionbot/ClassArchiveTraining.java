package com.permissionbot;

import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.store.Database;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The run {@code mvn package} records the JVM's class-data archive from ({@code -XX:ArchiveClassesAtExit}; the
 * Procfile maps it with {@code -XX:SharedArchiveFile}): the bot in sandbox mode on a free port answers two messages and
 * exits, so a later start-up maps the classes that took instead of reading them from the jar
 * (https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html).
 */
final class ClassArchiveTraining {
    private ClassArchiveTraining() {}

    /** Exit code 0 even when the training fails: the archive only speeds start-up, so it never fails the build. */
    static int run() throws IOException {
        try {
            train();
        } catch (Exception e) {
            System.err.println("permission-bot: the class-archive training did not finish (" + e + "); the archive covers less of start-up");
        }
        return 0;
    }

    private static void train() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("permission-bot-training");
        LocalPlatform platform = LocalPlatform.find().orElseThrow(() -> new IllegalStateException("this build has no sandbox"));
        App app = null;
        try {
            BotConfig cfg = new ConfigLoader(Map.of("PORT", "0", "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("bot.db"))).load();
            cfg = platform.configure(cfg, Database.sqliteFile(cfg.databaseUrl()));
            app = App.create(cfg, Clock.systemUTC()).start();
            platform.attach(app);
            String api = "http://127.0.0.1:" + app.port() + "/playground/api";
            HttpClient http = HttpClient.newHttpClient();
            String[] texts = {"help", "missing"};
            for (int i = 0; i < texts.length; i++) {
                String text = texts[i];
                String sent = post(http, api + "/send", "{\"user\":\"ou_alice\",\"text\":\"" + text + "\"}");
                String chat = sent.replaceAll("(?s).*\"chatId\"\\s*:\\s*\"([^\"]+)\".*", "$1");
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (get(http, api + "/messages?chat=" + chat).split("\"from\":\"bot\"", -1).length - 1 <= i) {
                    if (System.nanoTime() > until) throw new IllegalStateException("the bot did not answer '" + text + "' within 10 s");
                    Thread.sleep(50);
                }
            }
        } finally {
            if (app != null) app.close();
            platform.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String post(HttpClient http, String url, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
