package com.permissionbot.hostile;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.permissionbot.hostile.HostileRequests.Req;
import com.permissionbot.hostile.HostileRequests.Valid;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.LogCapture;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * More than ten thousand generated bad requests (fixed seed) against the bot's real HTTP endpoints, from a few
 * client threads, in two batches. Asserted: every answer is the 4xx its class deserves (or 200 where the request is
 * a duplicate of an event delivered on purpose), never a 5xx; every 4xx is one WARN line with a reason and nothing
 * is logged at ERROR or with a stack trace; nothing but the events sent on purpose reached the inbox or the
 * platform; the bot is healthy afterwards, still answers, and its heap after a GC stays small and does not grow
 * from one batch to the next.
 */
class HostileInputTest {
    static final long SEED = 0x5EED_F00DL;
    static final int THREADS = 4;
    static final long HEAP_LIMIT = 256L << 20;
    static final long HEAP_GROWTH_LIMIT = 24L << 20;
    /** "rejected POST /webhook/event with 401: signature mismatch (event x)" from WebhookRoutes.reject. */
    static final Pattern REJECTED = Pattern.compile("rejected POST (/webhook/\\w+) with (\\d{3}): (.+)");

    @TempDir
    static Path dir;
    static BotHarness bot;
    static HttpClient http;
    static final List<Valid> delivered = new ArrayList<>();
    /** The user messages the test sent on purpose; each must get exactly one reply. */
    static final Set<String> intended = new HashSet<>();
    static String clickTemplate;

    @BeforeAll
    static void start() {
        bot = BotHarness.start(dir);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .executor(Executors.newFixedThreadPool(THREADS, daemon("hostile-http"))).build();
        // the events sent on purpose: each is a help request in its own chat and must get exactly one reply
        for (int i = 0; i < 6; i++) {
            String mid = bot.userMessage("oc_hostile_" + i);
            String plain = Events.p2p("ev-" + mid, mid, "help");
            byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8);
            Map<String, String> headers = signature(body);
            String path = i % 2 == 0 ? HostileRequests.EVENT : HostileRequests.CARD;
            assertEquals(200, send(new Req("valid", path, body, headers, HostileRequests.JSON_TYPE, false, Set.of(200))).status);
            delivered.add(new Valid(plain, path, body, headers));
            intended.add(mid);
        }
        // a valid event with a text of 600 KB (the body stays under 1 MiB)
        String big = bot.userMessage("oc_hostile_big");
        assertEquals(200, bot.push(HostileRequests.EVENT, Events.p2p("ev-" + big, big, "help " + "x".repeat(600_000))).statusCode());
        intended.add(big);
        // a valid event sent as text/plain: the content type is not signed, the body is; it is accepted
        String plainType = bot.userMessage("oc_hostile_text_plain");
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, Events.p2p("ev-" + plainType, plainType, "help"))
                + "\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals(200, send(new Req("valid", HostileRequests.EVENT, body, signature(body), "text/plain", false, Set.of(200))).status);
        intended.add(plainType);
        // a valid click on a button no handler knows: answered with a toast, stored nowhere
        clickTemplate = Events.click("ev-hostile-click", "om_hostile_card", "ou_mallory", "action", "hostile_noop");
        Res click = send(new Req("valid", HostileRequests.CARD, encrypted(clickTemplate), null, HostileRequests.JSON_TYPE, false, Set.of(200)));
        assertEquals(200, click.status, click.body);
        assertEquals("warning", BotHarness.json(click.body).path("toast").path("type").asText(), click.body);
        bot.awaitMessages(m -> m.stream().map(SentMessage::parentId).collect(Collectors.toSet()).containsAll(intended));
    }

    @AfterAll
    static void stop() {
        if (bot != null) bot.close();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void ten_thousand_bad_requests_get_4xx_leave_no_trace_and_the_bot_stays_healthy() throws Exception {
        long base = heapAfterGc();
        // each batch is generated inside barrage() and dropped before the heap is measured
        Batch a = barrage("batch 1", SEED);
        long afterFirst = heapAfterGc();
        Batch b = barrage("batch 2", SEED + 1);
        long afterSecond = heapAfterGc();

        System.out.printf("hostile input: %d + %d requests in %.1f s + %.1f s with %d threads; heap after GC: %d MB at start, "
                        + "%d MB after batch 1, %d MB after batch 2%n", a.sent, b.sent, a.seconds, b.seconds, THREADS,
                base >> 20, afterFirst >> 20, afterSecond >> 20);
        assertTrue(a.sent + b.sent >= 10_000, "at least 10,000 requests");

        // no side effect: only the events sent on purpose were stored, and each got exactly one reply
        BotHarness.sleep(1000);
        assertEquals(expectedInboxKeys(), inboxKeys(), "inbox rows");
        assertEquals(0, count("SELECT COUNT(*) FROM card_actions"), "card click claims");
        assertEquals(0, count("SELECT COUNT(*) FROM audit_log"), "audit rows");
        List<SentMessage> said = bot.platform.messages();
        Map<String, Long> replies = said.stream().collect(Collectors.groupingBy(s -> s.kind() + " " + s.parentId(), Collectors.counting()));
        Map<String, Long> expected = intended.stream().collect(Collectors.toMap(m -> "REPLY " + m, m -> 1L));
        assertEquals(new TreeMap<>(expected), new TreeMap<>(replies), "what the bot said on the platform");

        // healthy: /healthz, and a new message still gets its reply
        assertEquals(200, bot.get("/healthz").statusCode());
        SentMessage reply = bot.say("oc_hostile_after", "help");
        assertEquals("interactive", reply.msgType());

        // memory: bounded, and not growing from one batch to the next
        assertTrue(afterSecond < HEAP_LIMIT, "heap after GC " + (afterSecond >> 20) + " MB");
        assertTrue(afterSecond - afterFirst < HEAP_GROWTH_LIMIT,
                "heap grew by " + ((afterSecond - afterFirst) >> 20) + " MB from batch 1 to batch 2");
    }

    /** What one barrage measured. */
    record Batch(int sent, double seconds) {}

    /** An answer, or the I/O failure seen instead. */
    record Res(int status, String body, String error, long micros) {}

    /** Sends every request from {@link #THREADS} threads, then checks answers and log lines for the batch. */
    private Batch barrage(String name, long seed) throws Exception {
        List<Req> reqs = new HostileRequests(seed, delivered, clickTemplate).batch();
        List<String> wrong = new ArrayList<>();
        Map<String, Map<Integer, Integer>> byClass = new TreeMap<>();
        Map<String, Long> microsByClass = new TreeMap<>();
        Map<String, Integer> fourXxByPathAndStatus = new TreeMap<>();
        Map<String, Integer> warnByPathAndStatus = new TreeMap<>();
        long t0;
        double seconds;
        try (LogCapture logs = new LogCapture(true)) {
            ConcurrentLinkedQueue<Req> queue = new ConcurrentLinkedQueue<>(reqs);
            ConcurrentLinkedQueue<Object[]> results = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS, daemon("hostile-client"));
            t0 = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                done.add(pool.submit(() -> {
                    for (Req r; (r = queue.poll()) != null; ) results.add(new Object[]{r, send(r)});
                }));
            }
            for (Future<?> f : done) f.get(150, TimeUnit.SECONDS);
            seconds = (System.nanoTime() - t0) / 1e9;
            pool.shutdownNow();
            BotHarness.sleep(300);

            for (Object[] x : results) {
                Req r = (Req) x[0];
                Res s = (Res) x[1];
                byClass.computeIfAbsent(r.cls(), k -> new TreeMap<>()).merge(s.status, 1, Integer::sum);
                microsByClass.merge(r.cls(), s.micros, Long::sum);
                if (s.status >= 500 || !r.expect().contains(s.status)) {
                    if (wrong.size() < 30) wrong.add("got " + s.status + (s.error == null ? "" : " (" + s.error + ")") + " "
                            + (s.body == null ? "" : s.body.substring(0, Math.min(200, s.body.length()))) + " for " + r);
                    else if (wrong.size() == 30) wrong.add("…");
                }
                if (s.status >= 400 && s.status < 500) fourXxByPathAndStatus.merge(r.path() + " " + s.status, 1, Integer::sum);
            }

            List<String> badLines = new ArrayList<>();
            for (ILoggingEvent e : logs.events()) {
                String msg = e.getFormattedMessage();
                Matcher m = REJECTED.matcher(msg);
                boolean rejection = e.getLoggerName().endsWith("edge.WebhookRoutes") && m.find();
                if (rejection) {
                    warnByPathAndStatus.merge(m.group(1) + " " + m.group(2), 1, Integer::sum);
                    if (e.getLevel() != Level.WARN || e.getThrowableProxy() != null || msg.contains("\n") || m.group(3).isBlank()
                            || msg.length() > 300) {
                        badLines.add("not a one-line WARN with a reason: " + LogCapture.line(e));
                    }
                } else if (LogCapture.atLeast(e, Level.ERROR) || e.getThrowableProxy() != null) {
                    badLines.add(LogCapture.line(e));
                }
            }
            printTable(name, reqs.size(), seconds, byClass, microsByClass);
            logs.clear();
            if (!badLines.isEmpty()) {
                fail(name + ": " + badLines.size() + " log line(s) with an error or a stack trace, e.g.\n  "
                        + String.join("\n  ", badLines.subList(0, Math.min(20, badLines.size()))));
            }
        }
        if (!wrong.isEmpty()) fail(name + ": " + wrong.size() + " unexpected answer(s):\n  " + String.join("\n  ", wrong));
        assertEquals(fourXxByPathAndStatus, warnByPathAndStatus, name + ": one WARN line per 4xx answer, by path and status");
        return new Batch(reqs.size(), seconds);
    }

    private static void printTable(String name, int sent, double seconds, Map<String, Map<Integer, Integer>> byClass,
                                   Map<String, Long> micros) {
        StringBuilder b = new StringBuilder(String.format("%n%s: %d requests in %.1f s (%.0f/s)%n", name, sent, seconds, sent / seconds));
        b.append(String.format("  %-66s %6s %8s  %s%n", "class", "sent", "avg ms", "answers"));
        byClass.forEach((cls, statuses) -> {
            int n = statuses.values().stream().mapToInt(Integer::intValue).sum();
            b.append(String.format("  %-66s %6d %8.2f  %s%n", cls, n, micros.get(cls) / 1000.0 / n, statuses));
        });
        System.out.print(b);
    }

    static Res send(Req r) {
        HttpRequest.BodyPublisher pub = r.chunked()
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(r.body()))
                : HttpRequest.BodyPublishers.ofByteArray(r.body());
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bot.url(r.path()))).timeout(Duration.ofSeconds(20)).POST(pub);
        if (r.contentType() != null) b.header("Content-Type", r.contentType());
        Map<String, String> headers = r.headers() == null ? signature(r.body()) : r.headers();
        headers.forEach(b::header);
        try {
            long t = System.nanoTime();
            HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Res(resp.statusCode(), resp.body(), null, (System.nanoTime() - t) / 1000);
        } catch (Exception e) {
            return new Res(-1, null, e.toString(), 0);
        }
    }

    static Map<String, String> signature(byte[] body) {
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = UUID.randomUUID().toString();
        return Map.of("X-Lark-Request-Timestamp", ts, "X-Lark-Request-Nonce", nonce,
                "X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body));
    }

    static byte[] encrypted(String plain) {
        return ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, plain) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static Set<String> expectedInboxKeys() {
        return intended.stream().map(m -> "msg:" + m).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static Set<String> inboxKeys() throws Exception {
        Set<String> keys = new java.util.TreeSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + bot.db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT dedup_key FROM inbox")) {
            while (rs.next()) keys.add(rs.getString(1));
        }
        // the check message sent after the barrage is not there yet when this runs
        return keys;
    }

    private static long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + bot.db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    /** Heap in use after full collections (the smallest of a few readings). */
    static long heapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            BotHarness.sleep(100);
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
