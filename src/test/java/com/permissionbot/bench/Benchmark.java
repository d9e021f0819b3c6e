package com.permissionbot.bench;

import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operators' benchmark (issues 9 and 18), on loopback with encrypted, signed requests after a warm-up. Each server
 * runs as its own process with the Procfile's JVM options ({@link #JVM}): (a) the bot's {@code /webhook/event}, (b) a
 * bare Javalin route that reads the body and answers 200, (c) the SDK's EventDispatcher behind a bare route; then,
 * against the bot, (d) the card-callback round trip, (e) message to reply card through the emulator, (f) start-up to
 * healthy and resident memory under load; (g) the long connection: the emulator's gateway pushing to the SDK's
 * {@code ws.Client} with an empty handler, then to the bot's client; (h) the platform calls each user action costs.
 * Prints a Markdown table.
 *
 * Needs {@code wrk} (Debian package {@code wrk}) for the throughput runs.
 *
 * <pre>mvn -B -q -DskipTests package test-compile
 * java -cp target/test-classes:target/permission-bot.jar com.permissionbot.bench.Benchmark [seconds [bot|ws|calls]]</pre>
 * ({@code bot}: only (a); {@code ws}: only (g); {@code calls}: only (h).)
 *
 * With {@code BENCH_DATABASE_URL} (any {@code DATABASE_URL} the bot accepts, e.g. an empty PostgreSQL database) the
 * bot stores there instead of a fresh SQLite file.
 */
public final class Benchmark {
    static final int RATE = 500;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path dir = Files.createTempDirectory("bench");
        if (args.length > 1 && args[1].equals("calls")) {
            // only (h), the platform calls per action
            print(PlatformCalls.count(dir), seconds);
            return;
        }
        if (args.length > 1 && args[1].equals("ws")) {
            // only (g), the long connection: the SDK's client, then the bot's
            try (PlatformEmulator platform = PlatformEmulator.start()) {
                Server sdkClient = Server.sdkLongConnection(platform, dir);
                Load gs = pushLoad(sdkClient, platform, seconds, "gs");
                sdkClient.stop();
                Server botClient = Server.bot(platform, dir, Map.of("FEISHU_TRANSPORT", "websocket"));
                Load gb = pushLoad(botClient, platform, seconds, "gb");
                System.out.printf("(g) bot %.0f events/s (%.0f µs CPU), at %d/s %s; SDK %.0f events/s (%.0f µs CPU), at %d/s %s;"
                        + " not acked 200 %d / %d; RSS of the bot %d MB%n", gb.throughput, gb.cpuUsPerRequest, RATE, gb.latency,
                        gs.throughput, gs.cpuUsPerRequest, RATE, gs.latency, gb.errors, gs.errors, botClient.rssKb() / 1024);
                botClient.stop();
            }
            return;
        }
        if (args.length > 1 && args[1].equals("bot")) {
            // only (a), e.g. while profiling the bot with BENCH_BOT_OPTS
            try (PlatformEmulator platform = PlatformEmulator.start()) {
                Server bot = Server.bot(platform, dir);
                Load a = load(bot, platform, seconds, "a", dir);
                System.out.printf("(a) %.0f req/s, %.0f µs CPU per request, backlog worked off in %d ms; at %d/s %s; RSS %d MB;"
                        + " started in %d ms; %d non-200; logs in %s%n", a.throughput, a.cpuUsPerRequest, a.backlogMs, RATE, a.latency,
                        bot.rssKb() / 1024, bot.startupMs, a.errors, dir);
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(bot.url("/metrics"))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                metrics.lines().filter(l -> l.startsWith("bot_ack")).forEach(System.out::println);
                bot.stop();
            }
            return;
        }
        List<String[]> rows = new ArrayList<>();
        try (PlatformEmulator platform = PlatformEmulator.start()) {
            Server bare = Server.reference("bare", dir);
            Load b = load(bare, platform, seconds, "b", dir);
            bare.stop();
            Server sdk = Server.reference("sdk", dir);
            Load c = load(sdk, platform, seconds, "c", dir);
            sdk.stop();
            Server bot = Server.bot(platform, dir);
            Load a = load(bot, platform, seconds, "a", dir);
            long rss = bot.rssKb();
            Latency d = callbacks(bot, platform, 1000);
            Latency e = replies(bot, platform, 1000);
            long rssAfter = bot.rssKb();
            bot.stop();

            Server sdkClient = Server.sdkLongConnection(platform, dir);
            Load gs = pushLoad(sdkClient, platform, seconds, "gs");
            sdkClient.stop();
            Server botClient = Server.bot(platform, dir, Map.of("FEISHU_TRANSPORT", "websocket"));
            Load gb = pushLoad(botClient, platform, seconds, "gb");
            botClient.stop();

            rows.add(new String[]{"(a) bot `/webhook/event`: throughput (server CPU per request)", String.format("%.0f req/s (%.0f µs)", a.throughput, a.cpuUsPerRequest)});
            rows.add(new String[]{"(a) bot: time to work off the acknowledged backlog after the load", a.backlogMs + " ms"});
            rows.add(new String[]{"(a) bot ack latency at " + RATE + "/s: p50 / p99 / max", a.latency.toString()});
            rows.add(new String[]{"(b) bare Javalin route (ceiling): throughput (server CPU per request)", String.format("%.0f req/s (%.0f µs)", b.throughput, b.cpuUsPerRequest)});
            rows.add(new String[]{"(b) bare route latency at " + RATE + "/s: p50 / p99 / max", b.latency.toString()});
            rows.add(new String[]{"(c) SDK EventDispatcher route: throughput (server CPU per request)", String.format("%.0f req/s (%.0f µs)", c.throughput, c.cpuUsPerRequest)});
            rows.add(new String[]{"(c) SDK route latency at " + RATE + "/s: p50 / p99 / max", c.latency.toString()});
            rows.add(new String[]{"ratio a/b (target ≥ 0.7)", String.format("%.2f", a.throughput / b.throughput)});
            rows.add(new String[]{"ratio a/c (target ≥ 0.9)", String.format("%.2f", a.throughput / c.throughput)});
            rows.add(new String[]{"(d) card callback round trip: p50 / p99 / max", d.toString()});
            rows.add(new String[]{"(e) message to reply card: p50 / p99 / max", e.toString()});
            rows.add(new String[]{"(f) bot start-up to healthy", bot.startupMs + " ms"});
            rows.add(new String[]{"(f) bot resident memory: after the load / after (d) and (e)", rss / 1024 + " MB / " + rssAfter / 1024 + " MB"});
            rows.add(new String[]{"non-200 answers (a / b / c)", a.errors + " / " + b.errors + " / " + c.errors});
            rows.add(new String[]{"(g) long connection, bot's client: events/s (client CPU per event)", String.format("%.0f events/s (%.0f µs)", gb.throughput, gb.cpuUsPerRequest)});
            rows.add(new String[]{"(g) bot's client: time to work off the acknowledged backlog", gb.backlogMs + " ms"});
            rows.add(new String[]{"(g) bot's client, push to ack at " + RATE + "/s: p50 / p99 / max", gb.latency.toString()});
            rows.add(new String[]{"(g) SDK `ws.Client`, empty handler: events/s (client CPU per event)", String.format("%.0f events/s (%.0f µs)", gs.throughput, gs.cpuUsPerRequest)});
            rows.add(new String[]{"(g) SDK client, push to ack at " + RATE + "/s: p50 / p99 / max", gs.latency.toString()});
            rows.add(new String[]{"ratio g bot/SDK (target ≥ 1)", String.format("%.2f", gb.throughput / gs.throughput)});
            rows.add(new String[]{"pushes not acked 200 (bot / SDK)", gb.errors + " / " + gs.errors});
        }
        rows.addAll(PlatformCalls.count(dir));
        print(rows, seconds);
    }

    private static void print(List<String[]> rows, int seconds) {
        System.out.println();
        System.out.printf("Machine: %d cores, %s, Java %s; wrk %d connections, %d s per throughput run%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"), System.getProperty("java.version"),
                CONNECTIONS, seconds);
        System.out.println("| measure | result |");
        System.out.println("|---|---|");
        for (String[] r : rows) System.out.println("| " + r[0] + " | " + r[1] + " |");
    }

    /** Latencies in ms. */
    record Latency(double[] ms) {
        double pct(double p) {
            if (ms.length == 0) return Double.NaN;
            int i = (int) Math.ceil(p / 100.0 * ms.length) - 1;
            return ms[Math.max(0, Math.min(ms.length - 1, i))];
        }

        @Override
        public String toString() {
            return String.format("%.2f / %.2f / %.2f ms", pct(50), pct(99), pct(100));
        }
    }

    /** Closed-loop throughput and open-loop latency of one server. */
    record Load(double throughput, Latency latency, int errors, double cpuUsPerRequest, long backlogMs) {}

    /**
     * Warm-up, then throughput with wrk ({@link #CONNECTIONS} connections, 2 threads, every request a new signed
     * event), then {@link #RATE}/s open loop for as long to read the latency.
     */
    static Load load(Server s, PlatformEmulator platform, int seconds, String tag, Path dir) throws Exception {
        int[] errors = new int[1];
        // warm-up as long as the run: the bot has more code for the JIT to compile than the reference servers
        wrk(s, events(platform, 12_000 * seconds, tag + "w"), seconds, dir);
        List<byte[]> run = events(platform, 12_000 * seconds, tag + "t");
        long cpu = s.cpuMs();
        double[] throughput = wrk(s, run, seconds, dir);
        run = null; // the latency run below should not carry this client's largest heap
        double cpuUs = (s.cpuMs() - cpu) * 1000.0 / (throughput[0] * seconds);
        errors[0] = (int) throughput[1];
        // the latency run starts on an idle server: the bot first works off what it acknowledged during the load
        long backlogMs = s.awaitIdle();
        // this client warms up too (its HTTP code is compiled and its connections opened on the first requests)
        openLoop(s, events(platform, RATE * 5, tag + "lw"), RATE, new int[1]);
        List<byte[]> bodies = events(platform, RATE * seconds, tag + "l");
        System.gc(); // so a collection of this client's own heap does not land in the latency run
        Latency latency = openLoop(s, bodies, RATE, errors);
        return new Load(throughput[0], latency, errors[0], cpuUs, backlogMs);
    }

    static final int CONNECTIONS = Integer.parseInt(System.getenv().getOrDefault("BENCH_CONNECTIONS", "16"));

    /**
     * (g): the emulator's gateway pushes events to the one client connected: a warm-up, then throughput with
     * {@link #CONNECTIONS} pushes in flight, then {@link #RATE}/s open loop; latency is from the push to its ack.
     */
    static Load pushLoad(Server s, PlatformEmulator platform, int seconds, String tag) throws Exception {
        LongConnectionGateway gateway = platform.longConnection();
        pushes(gateway, plainEvents(12_000 * seconds, tag + "w"), seconds);
        List<String> run = plainEvents(12_000 * seconds, tag + "t");
        long cpu = s.cpuMs();
        double[] throughput = pushes(gateway, run, seconds);
        run = null;
        double cpuUs = (s.cpuMs() - cpu) * 1000.0 / (throughput[0] * seconds);
        int[] errors = {(int) throughput[1]};
        long backlogMs = s.awaitIdle();
        openPushes(gateway, plainEvents(RATE * 5, tag + "lw"), new int[1]);
        List<String> events = plainEvents(RATE * seconds, tag + "l");
        System.gc();
        return new Load(throughput[0], openPushes(gateway, events, errors), errors[0], cpuUs, backlogMs);
    }

    /** Pushes with {@link #CONNECTIONS} in flight for {@code seconds}; returns acks per second and the pushes not acked 200. */
    static double[] pushes(LongConnectionGateway gateway, List<String> events, int seconds) throws InterruptedException {
        Semaphore window = new Semaphore(CONNECTIONS);
        AtomicInteger acked = new AtomicInteger(), failed = new AtomicInteger();
        long start = System.nanoTime(), end = start + TimeUnit.SECONDS.toNanos(seconds);
        for (int i = 0; i < events.size() && System.nanoTime() < end; i++) {
            window.acquire();
            gateway.push(events.get(i)).done().whenComplete((ok, err) -> {
                (Boolean.TRUE.equals(ok) ? acked : failed).incrementAndGet();
                window.release();
            });
        }
        double rate = acked.get() / ((System.nanoTime() - start) / 1e9);
        window.acquire(CONNECTIONS);
        return new double[]{rate, failed.get()};
    }

    /** Pushes at {@link #RATE}/s whatever the acks do; returns push-to-ack latencies. */
    static Latency openPushes(LongConnectionGateway gateway, List<String> events, int[] errors) throws Exception {
        double[] ms = new double[events.size()];
        CountDownLatch acked = new CountDownLatch(events.size());
        long interval = 1_000_000_000L / RATE, start = System.nanoTime();
        for (int i = 0; i < events.size(); i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            int k = i;
            long t = System.nanoTime();
            gateway.push(events.get(i)).done().whenComplete((ok, err) -> {
                ms[k] = (System.nanoTime() - t) / 1e6;
                if (!Boolean.TRUE.equals(ok)) {
                    synchronized (errors) { errors[0]++; }
                }
                acked.countDown();
            });
        }
        acked.await();
        Arrays.sort(ms);
        return new Latency(ms);
    }

    /** Unmentioned group messages, as plain JSON (the long connection carries them unencrypted). */
    static List<String> plainEvents(int n, String tag) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Events.group("ev-" + tag + i + UUID.randomUUID(), "om_" + tag + i + UUID.randomUUID(), "hello", null));
        }
        return out;
    }

    /** Runs wrk over the given distinct requests; returns requests per second and the count of non-2xx answers. */
    static double[] wrk(Server s, List<byte[]> bodies, int seconds, Path dir) throws Exception {
        Path requests = dir.resolve("requests.tsv");
        try (var w = Files.newBufferedWriter(requests)) {
            for (byte[] body : bodies) {
                String ts = String.valueOf(System.currentTimeMillis() / 1000), nonce = UUID.randomUUID().toString();
                w.write(new String(body, StandardCharsets.UTF_8) + "\t" + ts + "\t" + nonce + "\t"
                        + PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body) + "\n");
            }
        }
        Path script = dir.resolve("signed.lua");
        Files.writeString(script, WRK_SCRIPT);
        Process p = new ProcessBuilder("wrk", "-t2", "-c" + CONNECTIONS, "-d" + seconds + "s", "-s", script.toString(),
                s.url("/webhook/event"), "--", requests.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Files.delete(requests); // hundreds of MB for a long run
        double rps = Double.parseDouble(out.replaceAll("(?s).*Requests/sec:\\s*([0-9.]+).*", "$1"));
        double bad = out.contains("Non-2xx") ? Double.parseDouble(out.replaceAll("(?s).*Non-2xx or 3xx responses:\\s*([0-9]+).*", "$1")) : 0;
        return new double[]{rps, bad};
    }

    /** Each wrk thread takes every other line of the request file and sends each request once in turn. */
    static final String WRK_SCRIPT = """
            local counter = 0
            function setup(thread)
              thread:set("tid", counter)
              counter = counter + 1
            end
            local reqs = {}
            local idx = 0
            function init(args)
              local n = 0
              for line in io.lines(args[1]) do
                n = n + 1
                if n % 2 == tid then
                  local body, ts, nonce, sig = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
                  reqs[#reqs + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json",
                    ["X-Lark-Request-Timestamp"] = ts, ["X-Lark-Request-Nonce"] = nonce, ["X-Lark-Signature"] = sig}, body)
                end
              end
            end
            function request()
              idx = idx % #reqs + 1
              return reqs[idx]
            end
            """;

    /**
     * Group messages that do not mention the bot: stored and handled, but answered with nothing, so the measure is
     * the edge and the inbox.
     */
    static List<byte[]> events(PlatformEmulator platform, int n, String tag) {
        List<byte[]> out = new ArrayList<>(n);
        for (String plain : plainEvents(n, tag)) {
            out.add(("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static HttpRequest signed(String url, byte[] body) {
        String ts = String.valueOf(System.currentTimeMillis() / 1000), nonce = UUID.randomUUID().toString();
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("X-Lark-Request-Timestamp", ts).header("X-Lark-Request-Nonce", nonce)
                .header("X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    static Latency openLoop(Server s, List<byte[]> bodies, int rate, int[] errors) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        double[] ms = new double[bodies.size()];
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            int k = i;
            fs.add(pool.submit(() -> {
                HttpRequest req = signed(s.url("/webhook/event"), bodies.get(k));
                long t = System.nanoTime();
                try {
                    if (HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                        synchronized (errors) { errors[0]++; }
                    }
                } catch (IOException | InterruptedException e) {
                    synchronized (errors) { errors[0]++; }
                }
                ms[k] = (System.nanoTime() - t) / 1e6;
            }));
        }
        for (Future<?> f : fs) f.get();
        pool.shutdown();
        Arrays.sort(ms);
        return new Latency(ms);
    }

    /** (d): page clicks on a "permission status" card at 50/s; each is answered with a re-rendered card. */
    static Latency callbacks(Server bot, PlatformEmulator platform, int n) throws Exception {
        String mid = platform.im().addUserMessage("oc_cb", "ou_alice", "text", "{\"text\":\"permission status\"}").messageId();
        send(bot, Events.p2p("ev-cb-" + UUID.randomUUID(), mid, "permission status"));
        SentMessage card = awaitReply(platform, mid);
        String messageId = card.messageId();
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            String click = Events.click("ev-click-" + i + UUID.randomUUID(), messageId, "ou_alice",
                    "action", "page", "card", "status", "page", "1");
            byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, click) + "\"}").getBytes(StandardCharsets.UTF_8);
            long t = System.nanoTime();
            HttpResponse<String> r = HTTP.send(signed(bot.url("/webhook/card"), body), HttpResponse.BodyHandlers.ofString());
            ms[i] = (System.nanoTime() - t) / 1e6;
            if (r.statusCode() != 200 || !r.body().contains("\"card\"")) {
                throw new IllegalStateException("callback answered " + r.statusCode());
            }
            Thread.sleep(20);
        }
        Arrays.sort(ms);
        return new Latency(ms);
    }

    /** (e): "help" messages at 20/s over many chats; time from the POST to the emulator receiving the reply. */
    static Latency replies(Server bot, PlatformEmulator platform, int n) throws Exception {
        platform.clearMessages();
        Map<String, Long> sent = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String mid = platform.im().addUserMessage("oc_e_" + (i % 200), "ou_alice", "text", "{\"text\":\"help\"}").messageId();
            long t = System.currentTimeMillis();
            send(bot, Events.p2p("ev-e-" + i + UUID.randomUUID(), mid, "help"));
            sent.put(mid, t);
            Thread.sleep(50);
        }
        long end = System.currentTimeMillis() + 30_000;
        List<SentMessage> said;
        do {
            said = platform.messages();
            Thread.sleep(50);
        } while (said.size() < n && System.currentTimeMillis() < end);
        double[] ms = said.stream().filter(m -> sent.containsKey(m.parentId()))
                .mapToDouble(m -> m.time().toEpochMilli() - sent.get(m.parentId())).sorted().toArray();
        if (ms.length < n) System.err.println("only " + ms.length + " of " + n + " replies arrived");
        return new Latency(ms);
    }

    static void send(Server bot, String plain) throws Exception {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8);
        int status = HTTP.send(signed(bot.url("/webhook/event"), body), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status != 200) throw new IllegalStateException("event answered " + status);
    }

    static SentMessage awaitReply(PlatformEmulator platform, String parent) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            for (SentMessage m : platform.messages()) if (parent.equals(m.parentId())) return m;
            Thread.sleep(20);
        }
        throw new IllegalStateException("no reply to " + parent);
    }

    /** The bot runs with the Procfile's JVM options; the other servers too, but for the bot's class-data archive. */
    static final List<String> BOT_JVM = procfileOptions();
    static final List<String> JVM = BOT_JVM.stream().filter(o -> !o.startsWith("-XX:SharedArchiveFile")).toList();

    /** {@code web: java <options> ${JAVA_OPTS:-<defaults>} -jar …}: the options with the defaults. */
    static List<String> procfileOptions() {
        try {
            String line = Files.readString(Path.of("Procfile")).strip();
            String opts = line.substring(line.indexOf("java ") + 5, line.indexOf(" -jar "))
                    .replaceAll("\\$\\{JAVA_OPTS:-([^}]*)}", "$1");
            return List.of(opts.trim().split("\\s+"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A server process under test. */
    static final class Server {
        final Process process;
        /** Its HTTP port; 0 for a client with none. */
        final int port;
        final Path dir;
        /** The gateway it holds a long connection to, or null. */
        final LongConnectionGateway gateway;
        long startupMs;

        private Server(Process process, int port, Path dir, LongConnectionGateway gateway) {
            this.process = process;
            this.port = port;
            this.dir = dir;
            this.gateway = gateway;
        }

        static Server reference(String kind, Path dir) throws Exception {
            int port = freePort();
            List<String> cmd = new ArrayList<>(List.of(java()));
            cmd.addAll(JVM);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BareServers.class.getName(), kind,
                    String.valueOf(port), BotHarness.TOKEN, BotHarness.KEY));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true).redirectOutput(dir.resolve(kind + ".log").toFile());
            return started(pb, port, dir, null);
        }

        /** The SDK's long-connection client with an empty handler; ready once the gateway holds its connection. */
        static Server sdkLongConnection(PlatformEmulator platform, Path dir) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(java()));
            cmd.addAll(JVM);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BareServers.class.getName(), "sdkws",
                    platform.baseUrl(), platform.config().appId(), platform.config().appSecret()));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("sdkws.log").toFile());
            return started(pb, 0, dir, platform.longConnection());
        }

        static Server bot(PlatformEmulator platform, Path dir) throws Exception {
            return bot(platform, dir, Map.of());
        }

        /** The bot from the jar, in real mode against the emulator; {@code env} on top (e.g. the long connection). */
        static Server bot(PlatformEmulator platform, Path dir, Map<String, String> env) throws Exception {
            int port = freePort();
            var c = platform.config();
            List<String> cmd = new ArrayList<>(List.of(java()));
            cmd.addAll(BOT_JVM);
            String extra = System.getenv("BENCH_BOT_OPTS");
            if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
            // the Procfile's relative paths (the jar, its class-data archive) from the run's folder
            Path target = dir.resolve("target");
            if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(target, Path.of("target").toAbsolutePath());
            }
            cmd.addAll(List.of("-jar", "target/permission-bot.jar"));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("bot.log").toFile());
            pb.environment().putAll(Map.of("FEISHU_APP_ID", c.appId(), "FEISHU_APP_SECRET", c.appSecret(),
                    "FEISHU_VERIFICATION_TOKEN", BotHarness.TOKEN, "FEISHU_ENCRYPT_KEY", BotHarness.KEY,
                    "FEISHU_BASE_URL", platform.baseUrl(), "PORT", String.valueOf(port),
                    "DATABASE_URL", databaseUrl(dir), "LOG_LEVEL", "WARN"));
            pb.environment().putAll(env);
            return started(pb, port, dir, env.containsKey("FEISHU_TRANSPORT") ? platform.longConnection() : null);
        }

        /** Started once {@code /healthz} answers 200 (with no port: at once) and, with a {@code gateway}, it is connected. */
        private static Server started(ProcessBuilder pb, int port, Path dir, LongConnectionGateway gateway) throws Exception {
            long t0 = System.nanoTime();
            Server s = new Server(pb.start(), port, dir, gateway);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (port > 0 && s.startupMs == 0 && System.nanoTime() < end) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create(s.url("/healthz"))).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        s.startupMs = (System.nanoTime() - t0) / 1_000_000;
                    }
                } catch (IOException e) {
                    Thread.sleep(10);
                }
            }
            if ((port == 0 || s.startupMs > 0)
                    && (gateway == null || gateway.awaitConnections(1, Duration.ofNanos(end - System.nanoTime())))) {
                return s;
            }
            s.stop();
            throw new IllegalStateException("server did not become healthy: " + pb.command());
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        /** Waits until {@code /healthz} shows an empty inbox (the reference servers have none); returns the wait. */
        long awaitIdle() throws Exception {
            long t0 = System.nanoTime();
            HttpRequest health = port == 0 ? null : HttpRequest.newBuilder(URI.create(url("/healthz"))).build();
            while (health != null && HTTP.send(health, HttpResponse.BodyHandlers.ofString()).body().matches(".*\"inbox_depth\":[1-9].*")) {
                Thread.sleep(100);
            }
            long waited = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(2000);
            return waited;
        }

        /** User and system CPU time of the process so far (from /proc, in clock ticks of 10 ms). */
        long cpuMs() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        }

        long rssKb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", ""));
            }
            return -1;
        }

        /** Stops the process (and waits until its long connection is gone) and deletes its database files (the logs stay). */
        void stop() throws Exception {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            if (gateway != null) gateway.awaitConnections(0, Duration.ofSeconds(10));
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("bot.db")).toList()) Files.delete(f);
            }
        }
    }

    /** SQLite in the run's folder, or the database named by {@code BENCH_DATABASE_URL} (e.g. a PostgreSQL). */
    static String databaseUrl(Path dir) {
        String url = System.getenv("BENCH_DATABASE_URL");
        return url == null || url.isBlank() ? "jdbc:sqlite:" + dir.resolve("bot.db") : url;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
