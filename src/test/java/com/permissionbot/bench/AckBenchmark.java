package com.permissionbot.bench;

import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.Events;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Ack latency of {@code POST /webhook/event}: the bot jar runs as its own process (-Xmx256m) against the platform
 * emulator on loopback; encrypted, signed p2p messages are sent open-loop at a fixed rate after a warm-up, and the
 * bot's resident memory is read from /proc afterwards. Prints a Markdown table.
 *
 * <pre>mvn -B -q -DskipTests package test-compile
 * java -cp target/test-classes:target/permission-bot.jar com.permissionbot.bench.AckBenchmark [rate] [events]</pre>
 */
public final class AckBenchmark {
    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        Path dir = Files.createTempDirectory("ackbench");
        int port = freePort();
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            var c = platform.config();
            List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m"));
            String extra = System.getenv("BENCH_JAVA_OPTS");
            if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
            cmd.addAll(List.of("-jar", Path.of("target/permission-bot.jar").toAbsolutePath().toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("bot.log").toFile());
            pb.environment().putAll(Map.of("FEISHU_APP_ID", c.appId(), "FEISHU_APP_SECRET", c.appSecret(),
                    "FEISHU_VERIFICATION_TOKEN", BotHarness.TOKEN, "FEISHU_ENCRYPT_KEY", BotHarness.KEY,
                    "FEISHU_BASE_URL", platform.baseUrl(), "PORT", String.valueOf(port),
                    "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("bot.db"), "LOG_LEVEL", "WARN"));
            long t0 = System.nanoTime();
            Process bot = pb.start();
            try {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String base = "http://127.0.0.1:" + port;
                waitHealthy(http, base);
                double startupMs = (System.nanoTime() - t0) / 1e6;

                run(http, base, platform, warmup, rate, "w");
                BotHarness.sleep(3000);
                platform.clearMessages();
                long cpu0 = cpuMs(bot.pid());
                Result r = run(http, base, platform, events, rate, "m");
                BotHarness.sleep(2000);
                double botCpuPerEvent = (cpuMs(bot.pid()) - cpu0) / (double) events;
                long rss = rssKb(bot.pid());
                int replies = platform.messages().size();

                System.out.println();
                System.out.println("| measure | value |");
                System.out.println("|---|---|");
                System.out.printf("| events (after %d warm-up) | %d at %d/s target |%n", warmup, events, rate);
                System.out.printf("| achieved rate | %.0f events/s |%n", r.rate);
                System.out.printf("| ack latency p50 | %.2f ms |%n", r.pct(50));
                System.out.printf("| ack latency p90 | %.2f ms |%n", r.pct(90));
                System.out.printf("| ack latency p99 | %.2f ms |%n", r.pct(99));
                System.out.printf("| ack latency max | %.2f ms |%n", r.pct(100));
                System.out.printf("| non-200 answers | %d |%n", r.errors);
                System.out.printf("| replies sent by the bot (2 s after) | %d |%n", replies);
                System.out.printf("| bot CPU per event (ack + reply) | %.2f ms |%n", botCpuPerEvent);
                System.out.printf("| start-up to healthy | %.0f ms |%n", startupMs);
                System.out.printf("| bot resident memory after the run | %d MB |%n", rss / 1024);
                System.out.printf("| machine | %d cores, %s, Java %s |%n", Runtime.getRuntime().availableProcessors(),
                        System.getProperty("os.arch"), System.getProperty("java.version"));
            } finally {
                bot.destroy();
                bot.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Latencies in ms, the achieved rate and how many answers were not 200. */
    record Result(double[] ms, double rate, int errors) {
        double pct(double p) {
            int i = (int) Math.ceil(p / 100.0 * ms.length) - 1;
            return ms[Math.max(0, Math.min(ms.length - 1, i))];
        }
    }

    private static Result run(HttpClient http, String base, PlatformEmulator platform, int n, int rate, String tag) throws Exception {
        List<byte[]> bodies = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            // spread over many chats: the platform allows 5 messages per second per chat (230020)
            String mid = platform.im().addUserMessage("oc_bench_" + (i % 1000), "ou_alice", "text", "{\"text\":\"help\"}").messageId();
            String plain = Events.p2p("ev-" + tag + i + "-" + UUID.randomUUID(), mid, "help");
            bodies.add(("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        ExecutorService pool = Executors.newFixedThreadPool(32);
        double[] ms = new double[n];
        int[] errors = new int[1];
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            int k = i;
            futures.add(pool.submit(() -> {
                String ts = String.valueOf(System.currentTimeMillis() / 1000), nonce = UUID.randomUUID().toString();
                HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/webhook/event"))
                        .header("Content-Type", "application/json").header("X-Lark-Request-Timestamp", ts)
                        .header("X-Lark-Request-Nonce", nonce)
                        .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, bodies.get(k)))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(k))).build();
                long t = System.nanoTime();
                try {
                    int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status != 200) synchronized (errors) { errors[0]++; }
                } catch (IOException | InterruptedException e) {
                    synchronized (errors) { errors[0]++; }
                }
                ms[k] = (System.nanoTime() - t) / 1e6;
            }));
        }
        for (Future<?> f : futures) f.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Arrays.sort(ms);
        return new Result(ms, n / seconds, errors[0]);
    }

    private static void waitHealthy(HttpClient http, String base) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("bot did not become healthy");
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", ""));
        }
        return -1;
    }

    /** User + system CPU time of a process, from /proc/PID/stat (clock ticks of 10 ms). */
    static long cpuMs(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
