package com.permissionbot.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.approval.ApprovalStatus;
import com.permissionbot.sandbox.ApprovalInstances;
import com.permissionbot.sandbox.Faults;
import com.permissionbot.sandbox.EmulatorConfig;
import com.permissionbot.sandbox.EventPusher;
import com.permissionbot.sandbox.ImMessage;
import com.permissionbot.sandbox.MessageStore;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.PlatformEvents.Person;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.sandbox.TenantState;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * About three minutes of a deployment's life, compressed: users ask, apply (some double-click), are granted, see a scope
 * revoked, subscribe to an approval definition and follow its instances, while the platform fails at random (5xx, 429
 * with a reset, calls slower than the bot's read timeout, a refused card update, keep-alive connections it closes after
 * a second of quiet) and the bot is killed with {@code kill -9} once and restarted. The platform pushes events as
 * Feishu does (encrypted, signed, re-pushed on its compressed schedule while the bot is down).
 * <p>At the end: every message got exactly one reply, every owed notice and status card arrived exactly once, no click
 * applied twice, no card was left "working", and nothing was given up.
 */
class SoakTest {
    /** Short timeouts and waits so a few minutes see many retries; a fresh request's tenant is checked every minute. */
    static final String CONFIG = """
            feishu:
              timeouts:
                connect_ms: 1000
                read_ms: 500
                call_ms: 1500
            inbox:
              workers: 8
              lease_seconds: 5
              poll_ms: 200
            apply:
              cooldown_seconds: 2
              answer_within_ms: 1500
            follow:
              tick_seconds: 1
            retry:
              in_call_ms: 100
              outbox_first_ms: 200
              outbox_max_ms: 2000
            """;
    static final String IM = "/open-apis/im/v1/messages";
    static final String SCOPES = "/open-apis/application/v6/scopes";
    static final String CODE = TenantState.SAMPLE_APPROVAL_CODE;
    static final String GROUP = "oc_soak_group";
    /** The English title of the notice each final state of a request gets. */
    static final Map<String, String> NOTICE_TITLES = Map.of(ApplyRequest.GRANTED, "The admin granted the scopes",
            ApplyRequest.PARTIAL, "Some of the scopes are granted", ApplyRequest.EXPIRED, "Still not granted after 7 days");
    static final List<String> COMMANDS = List.of("help", "quota", "missing permissions", "permission status", "my requests",
            "缺少哪些权限", "{\"code\":99991672,\"msg\":\"Access denied. One of the following scopes is required: [approval:approval]\"}");

    @TempDir
    Path dir;

    private final long seed = Long.getLong("soak.seed", System.nanoTime());
    private final Random random = new Random(seed);
    private final List<String> asked = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> clickKeys = ConcurrentHashMap.newKeySet();
    private final AtomicInteger clicks = new AtomicInteger();
    private final Map<String, String> lastStatus = new ConcurrentHashMap<>();
    private final AtomicInteger faults = new AtomicInteger();
    private volatile boolean clicking;
    private final List<EventPusher.Delivery> deliveries = Collections.synchronizedList(new ArrayList<>());

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void a_few_minutes_of_faults_and_a_kill_lose_nothing_and_double_nothing() throws Exception {
        System.out.println("soak seed " + seed + " (rerun with -Dsoak.seed=" + seed + ")");
        Path db = dir.resolve("bot.db");
        Path config = Files.writeString(dir.resolve("bot-config.yaml"), CONFIG);
        int port = freePort();
        try (PlatformEmulator platform = PlatformEmulator.start(EmulatorConfig.defaults().withIdleTimeout(Duration.ofSeconds(1)))) {
            EmulatorConfig e = platform.config();
            Person bot = Person.of(e.botOpenId(), e.botName());
            List<Person> users = List.of(Person.of("ou_soak_ann", "Ann"), Person.of("ou_soak_bo", "Bo"),
                    Person.of("ou_soak_cy", "Cy"), Person.of("ou_soak_di", "Di"));
            BotProcess first = BotProcess.start(platform, db, config, dir.resolve("bot-1.log"), port);
            BotProcess second = null;
            try (EventPusher pusher = new EventPusher(platform, first.url(""), BotHarness.TOKEN, BotHarness.KEY,
                    EventPusher.Settings.platform().compressed(100))) {
                ScheduledExecutorService script = Executors.newScheduledThreadPool(3);
                long t0 = System.nanoTime();
                // the group follows the approval definition
                say(pusher, GROUP, "group", users.get(0), "subscribe approval " + CODE, bot);
                awaitReply(platform, asked.get(0), Duration.ofSeconds(20));

                script.scheduleWithFixedDelay(() -> quietly(() -> act(platform, pusher, users, bot)), 100, 250, TimeUnit.MILLISECONDS);
                script.scheduleWithFixedDelay(() -> quietly(() -> fault(platform)), 2000, 1800, TimeUnit.MILLISECONDS);
                script.scheduleWithFixedDelay(() -> quietly(() -> approval(platform, pusher)), 1000, 2500, TimeUnit.MILLISECONDS);

                // killed while replies, approval cards and owed cards are in flight, before any grant is watched
                at(t0, 12, () -> { });
                first.kill();
                long down = System.nanoTime();
                at(t0, 15, () -> { });
                second = BotProcess.start(platform, db, config, dir.resolve("bot-2.log"), port);
                System.out.printf("killed with SIGKILL at 12 s, healthy again %d ms later%n", (System.nanoTime() - down) / 1_000_000);
                at(t0, 18, () -> clicking = true);
                // the admin grants what was asked; later a scope is revoked (the watcher checks a fresh request's
                // tenant every minute, so each change is seen by the check after it)
                at(t0, 25, () -> platform.tenant().grantPending());
                at(t0, 85, () -> platform.tenant().revoke("contact:user.base:readonly"));
                at(t0, 100, () -> { });
                script.shutdownNow();
                script.awaitTermination(10, TimeUnit.SECONDS);
                platform.faults().clear();
                System.out.printf("actions and faults stopped at %d s; %d faults injected%n", seconds(t0), faults.get());

                // quiet: every push delivered, every event handled, every owed card delivered, every grant noticed
                BotProcess live = second;
                try {
                    waitUntil(Duration.ofSeconds(90), () -> deliveries.stream().allMatch(d -> d.done().isDone())
                            && settled(live, db) && revocationAlerted(platform));
                } catch (AssertionError notSettled) {
                    System.out.printf("not settled: %d pushes undelivered, inbox %d, outbox %d, revocation alerted %s; bot log:%n%s%n",
                            deliveries.stream().filter(d -> !d.done().isDone()).count(),
                            count(db, "SELECT COUNT(*) FROM inbox WHERE status IN ('pending', 'working')"),
                            count(db, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'working')"),
                            revocationAlerted(platform), String.join("\n", Files.readAllLines(dir.resolve("bot-2.log")).stream()
                                    .filter(l -> l.contains("GrantWatcher") || l.contains("revoked") || l.contains("scopes.list")).toList()));
                    throw notSettled;
                }
                System.out.printf("settled at %d s%n", seconds(t0));
            } finally {
                if (second != null) second.close();
                first.close();
            }
            logSummary(dir.resolve("bot-1.log"), dir.resolve("bot-2.log"));
            report(platform, db);
        }
    }

    /** The bots' WARN and ERROR lines, grouped by their text without ids and numbers, so a new kind stands out. */
    private static void logSummary(Path... logs) throws java.io.IOException {
        Map<String, Long> kinds = new TreeMap<>();
        for (Path log : logs) {
            for (String line : Files.readAllLines(log)) {
                int at = line.indexOf(" WARN ") >= 0 ? line.indexOf(" WARN ") : line.indexOf(" ERROR ");
                if (at < 0) continue;
                String kind = line.substring(at + 1).replaceAll("\\[[^]]*]", "").replaceAll("[0-9A-Za-z_]*[0-9][0-9A-Za-z_\\-]*", "#");
                kinds.merge(kind.length() > 140 ? kind.substring(0, 140) : kind, 1L, Long::sum);
            }
        }
        System.out.println("soak: the bots' WARN and ERROR lines, by kind:");
        kinds.forEach((k, n) -> System.out.printf("  %5d  %s%n", n, k));
    }

    // ---- the script ------------------------------------------------------------------------------------------------

    /** One user does one thing: asks something, or clicks Apply on their latest card (sometimes twice at once). */
    private void act(PlatformEmulator platform, EventPusher pusher, List<Person> users, Person bot) {
        Person user = users.get(random.nextInt(users.size()));
        String chat = MessageStore.p2pChatId(user.openId());
        int roll = random.nextInt(100);
        if (roll < 70 || !clicking) {
            String command = COMMANDS.get(random.nextInt(COMMANDS.size()));
            if (random.nextInt(5) == 0) say(pusher, GROUP, "group", user, command, bot);
            else say(pusher, chat, "p2p", user, command);
            return;
        }
        // Apply on the newest card in the user's chat that has the button
        List<ImMessage> inChat = platform.im().inChat(chat);
        for (int i = inChat.size() - 1; i >= 0; i--) {
            ImMessage m = inChat.get(i);
            if (!m.sentByApp()) continue;
            JsonNode card = json(m.content());
            Map<String, String> value = CardJson.button(card, "apply");
            if (value == null) continue;
            String key = m.messageId() + "|" + user.openId() + "|" + new TreeMap<>(value);
            if (!clickKeys.add(key)) return;
            ObjectNode v = JsonNodeFactory.instance.objectNode();
            value.forEach(v::put);
            int times = random.nextInt(4) == 0 ? 2 : 1;
            List<CompletableFuture<?>> racing = new ArrayList<>();
            for (int n = 0; n < times; n++) {
                clicks.incrementAndGet();
                racing.add(CompletableFuture.runAsync(() -> pusher.click(m.messageId(), user, v, "apply")));
            }
            CompletableFuture.allOf(racing.toArray(new CompletableFuture[0])).join();
            return;
        }
    }

    /** An approval instance is submitted, or one moves on; the platform pushes its event when the app subscribed. */
    private void approval(PlatformEmulator platform, EventPusher pusher) {
        ApprovalInstances instances = platform.tenant().approvalInstances();
        List<String> open = instances.instances().stream().filter(i -> !instances.next(i.instanceCode()).isEmpty())
                .map(ApprovalInstances.Instance::instanceCode).toList();
        ApprovalInstances.Change c;
        if (open.isEmpty() || random.nextBoolean()) {
            c = instances.create(CODE);
        } else {
            String instance = open.get(random.nextInt(open.size()));
            List<String> next = new ArrayList<>(instances.next(instance));
            Collections.sort(next);
            c = instances.change(instance, next.get(random.nextInt(next.size())));
        }
        if (!c.delivered()) return;
        lastStatus.put(c.instanceCode(), c.status());
        deliveries.add(pusher.approvalInstance(c.approvalCode(), c.instanceCode(), c.status()));
    }

    /** One fault at random, for a moment. */
    private void fault(PlatformEmulator platform) {
        Faults f = platform.faults();
        switch (random.nextInt(6)) {
            case 0 -> f.serverError(IM, 1 + random.nextInt(3));
            case 1 -> f.rateLimit(IM, 1 + random.nextInt(2), 1);
            case 2 -> {
                f.delay(IM, Duration.ofMillis(700));
                BotHarness.sleep(1200);
                f.delay(IM, Duration.ZERO);
            }
            case 3 -> f.refuse(IM + "/om_", 1, 400, 230020, "This operation triggers the frequency limit.");
            case 4 -> f.serverError(SCOPES, 1 + random.nextInt(2));
            default -> {
                f.delay(SCOPES, Duration.ofMillis(700));
                BotHarness.sleep(1200);
                f.delay(SCOPES, Duration.ZERO);
            }
        }
        faults.incrementAndGet();
    }

    private void say(EventPusher pusher, String chat, String type, Person user, String text, Person... mentioned) {
        EventPusher.Said s = pusher.say(chat, type, user, text, mentioned);
        asked.add(s.message().messageId());
        deliveries.add(s.delivery());
    }

    // ---- the checks ------------------------------------------------------------------------------------------------

    private void report(PlatformEmulator platform, Path db) {
        List<SentMessage> sent = platform.messages();
        Map<String, Long> repliesTo = sent.stream().filter(s -> s.kind() == SentMessage.Kind.REPLY)
                .collect(Collectors.groupingBy(SentMessage::parentId, Collectors.counting()));
        try (Store store = JdbcStore.open("jdbc:sqlite:" + db)) {
            List<ApplyRequest> requests = store.applyRequestsOf(platform.config().tenantKey());
            // a notice's title says which it is; a second one for a request would be a second message
            Map<String, Long> noticesPerRequest = new LinkedHashMap<>();
            for (ApplyRequest r : requests) {
                if (r.status().equals(ApplyRequest.PENDING)) continue;
                String title = NOTICE_TITLES.get(r.status());
                noticesPerRequest.put(r.id() + " " + r.status(), sent.stream().filter(m -> m.kind() == SentMessage.Kind.REPLY
                        && r.messageId().equals(m.parentId()) && title.equals(title(m.content()))).count());
            }
            Map<String, Long> revocationAlerts = sent.stream().filter(s -> s.kind() == SentMessage.Kind.SEND && title(s.content()).contains("revoked"))
                    .collect(Collectors.groupingBy(SentMessage::chatId, TreeMap::new, Collectors.counting()));
            Map<String, Long> approvalCards = sent.stream().filter(s -> s.kind() == SentMessage.Kind.SEND && title(s.content()).startsWith("Approval"))
                    .collect(Collectors.groupingBy(s -> instanceOf(s.content()), TreeMap::new, Collectors.counting()));
            List<String> working = new ArrayList<>();
            for (SentMessage s : sent) {
                platform.im().find(s.messageId()).filter(m -> title(json(m.content())).equals("Asking Feishu…"))
                        .ifPresent(m -> working.add(m.messageId()));
            }
            Map<String, String> shownStatus = new TreeMap<>();
            for (String instance : lastStatus.keySet()) {
                sent.stream().filter(s -> s.kind() == SentMessage.Kind.SEND && instance.equals(instanceOf(s.content()))).findFirst()
                        .flatMap(s -> platform.im().find(s.messageId()))
                        .ifPresent(m -> shownStatus.put(instance, title(json(m.content()))));
            }
            int applyCalls = platform.applyCalls();
            System.out.printf("""
                            soak: %d messages asked, %d replied (%d with more than one reply, %d with none)
                            soak: %d clicks on %d distinct Apply buttons -> %d apply calls reached the platform, %d application(s) created
                            soak: %d requests followed: %s; notices per request %s
                            soak: revocation alerts per chat %s; %d approval instance(s) followed, cards sent per instance %s
                            soak: cards left working %s; outbox rows given up %d; inbox rows failed %d
                            """,
                    asked.size(), asked.stream().filter(repliesTo::containsKey).count(),
                    asked.stream().filter(m -> repliesTo.getOrDefault(m, 0L) > 1).count(),
                    asked.stream().filter(m -> !repliesTo.containsKey(m)).count(),
                    clicks.get(), clickKeys.size(), applyCalls, platform.tenant().appliesUsed(),
                    requests.size(), requests.stream().collect(Collectors.groupingBy(ApplyRequest::status, TreeMap::new, Collectors.counting())),
                    noticesPerRequest.values(),
                    revocationAlerts, lastStatus.size(), approvalCards.values(),
                    working, givenUp(db), failedRows(db));

            for (String m : asked) assertEquals(1L, repliesTo.getOrDefault(m, 0L), "exactly one reply to message " + m);
            noticesPerRequest.forEach((r, n) -> assertEquals(1L, n, "exactly one notice for request " + r));
            assertTrue(deliveries.stream().allMatch(d -> d.done().join()), "the platform delivered every event it pushed");
            assertTrue(requests.stream().anyMatch(r -> !r.status().equals(ApplyRequest.PENDING)), "the grant was noticed: " + requests);
            approvalCards.forEach((instance, n) -> assertEquals(1L, n, "one status card for instance " + instance));
            assertEquals(lastStatus.keySet(), approvalCards.keySet(), "every followed instance has its card");
            lastStatus.forEach((instance, status) -> assertEquals("Approval: " + ApprovalStatus.valueOf(status).en,
                    shownStatus.get(instance), "instance " + instance + " ends on its last status"));
            assertTrue(!revocationAlerts.isEmpty(), "the revocation was alerted");
            revocationAlerts.forEach((chat, n) -> assertEquals(1L, n, "one alert for the one revocation in chat " + chat));
            assertTrue(applyCalls <= clickKeys.size(), "no click applied twice: " + applyCalls + " calls for " + clickKeys.size() + " buttons");
            assertEquals(List.of(), working, "no card left working");
            assertEquals(0, givenUp(db), "nothing owed was given up");
            assertEquals(0, failedRows(db), "no event failed");
        }
    }

    private static String instanceOf(JsonNode card) {
        String text = card.toString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[0-9A-F]{8}&#45;[0-9A-F]{4}&#45;[0-9A-F]{4}&#45;[0-9A-F]{4}&#45;[0-9A-F]{12}")
                .matcher(text);
        while (m.find()) {
            String code = m.group().replace("&#45;", "-");
            if (!code.equals(CODE)) return code;
        }
        return "";
    }

    private static long givenUp(Path db) {
        return count(db, "SELECT COUNT(*) FROM outbox WHERE status IN ('failed', 'expired')");
    }

    private static long failedRows(Path db) {
        return count(db, "SELECT COUNT(*) FROM inbox WHERE status = 'failed'");
    }

    private static long count(Path db, String sql) {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Nothing left to do: no unfinished event, no owed card. */
    private static boolean settled(BotProcess bot, Path db) {
        return bot.process.isAlive()
                && count(db, "SELECT COUNT(*) FROM inbox WHERE status IN ('pending', 'working')") == 0
                && count(db, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'working')") == 0;
    }

    private static boolean revocationAlerted(PlatformEmulator platform) {
        return platform.messages().stream().anyMatch(s -> s.kind() == SentMessage.Kind.SEND && title(s.content()).contains("revoked"));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static void awaitReply(PlatformEmulator platform, String messageId, Duration max) {
        waitUntil(max, () -> platform.messages().stream().anyMatch(s -> messageId.equals(s.parentId())));
    }

    /** Sleeps until {@code second} seconds after {@code t0}, then runs {@code then}. */
    private static void at(long t0, int second, Runnable then) {
        long wait = TimeUnit.SECONDS.toMillis(second) - (System.nanoTime() - t0) / 1_000_000;
        if (wait > 0) BotHarness.sleep(wait);
        then.run();
    }

    private static long seconds(long t0) {
        return (System.nanoTime() - t0) / 1_000_000_000;
    }

    private static void waitUntil(Duration max, BooleanSupplier done) {
        long end = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not settled within " + max);
            BotHarness.sleep(200);
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.out.println("soak script step failed: " + e);
        }
    }

    private static JsonNode json(String s) {
        return BotHarness.json(s);
    }

    private static String title(JsonNode card) {
        return card.path("header").path("title").path("i18n_content").path("en_us").asText();
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
