package com.permissionbot.longconnection;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.ClientConfig;
import com.permissionbot.sandbox.EventPusher;
import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.LongConnectionGateway.Delivery;
import com.permissionbot.sandbox.LongConnectionGateway.Refusal;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.PlatformEvents;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.permissionbot.longconnection.WsBot.await;
import static com.permissionbot.longconnection.WsBot.holds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bot's long connection after each fault of the gateway: a normal close, a drop and a stall each end in a new
 * connection within seconds with no event lost; refusals and endpoint failures are retried or, for 403 and the
 * connection limit, fatal with one ERROR line. Each reconnect is printed as {@code [measured] ...}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LongConnectionFaultsTest {
    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");
    static final Duration WAIT = Duration.ofSeconds(10);
    /** The SDK fault tests' timing: a ping every second (the platform's seconds go no lower); no jitter. */
    static final ClientConfig QUICK = new ClientConfig(-1, 1, 0, 1);
    /** Retries after 15 ms, 300 ms, 3.6 s: an event outlives a reconnect. */
    static final EventPusher.Settings SLOWER = EventPusher.Settings.platform().compressed(1_000);

    @TempDir
    Path dir;
    PlatformEmulator platform;
    LongConnectionGateway gateway;
    WsBot bot;
    String firstId;
    LogCapture logs;
    final List<WebSocket> others = new ArrayList<>();

    @BeforeEach
    void start() throws InterruptedException {
        logs = new LogCapture(false);
        platform = PlatformEmulator.start();
        gateway = platform.longConnection().timing(SLOWER).clientConfig(QUICK);
        bot = WsBot.start(platform, "jdbc:sqlite:" + dir.resolve("bot.db"));
        assertTrue(gateway.awaitConnections(1, WAIT));
        firstId = gateway.connections().get(0).id();
        await(() -> bot.connection().connected(), WAIT, "the bot knows it is connected");
    }

    @AfterEach
    void stop() {
        others.forEach(WebSocket::abort);
        if (bot != null) bot.close();
        platform.close();
        logs.close();
    }

    /** Milliseconds from {@code t0} until a connection other than the first is open and the bot knows it. */
    long awaitNewConnection(long t0, Duration max) {
        await(() -> gateway.connections().stream().anyMatch(c -> !c.id().equals(firstId)) && bot.connection().connected(),
                max, "a new connection");
        return (System.nanoTime() - t0) / 1_000_000;
    }

    void noEventLost(Delivery d) throws Exception {
        assertTrue(d.done().get(30, TimeUnit.SECONDS), "delivered: " + d.attempts());
        String mid = d.messageId();
        await(() -> replies(mid) == 1, WAIT, "answered");
        holds(() -> replies(mid) == 1, Duration.ofMillis(300), "answered once");
        assertEquals(bot.connection().connectionId(), d.receivedBy());
    }

    long replies(String messageId) {
        return platform.messages().stream().filter(m -> m.kind() == SentMessage.Kind.REPLY && messageId.equals(m.parentId())).count();
    }

    List<String> errors() {
        return logs.events().stream().filter(e -> e.getLevel() == Level.ERROR && e.getLoggerName().endsWith("LongConnection"))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void after_a_normal_close_by_the_platform_it_reconnects_at_once_with_a_fresh_url_and_loses_no_event() throws Exception {
        long t0 = System.nanoTime();
        gateway.closeNormally(firstId);
        Delivery d = gateway.say("oc_close", "p2p", ALICE, "help").delivery();
        long ms = awaitNewConnection(t0, Duration.ofSeconds(3));
        report("normal close (close frame): reconnected after " + ms + " ms (SDK 2.5.3: only once a ping write fails, "
                + "3.5 s with a 1 s ping, 2 to 4.5 min with the platform's 120 s)");
        assertTrue(ms < 1_000, "at once, not after the TCP close a second later nor at a ping: " + ms);
        assertEquals(2, platform.calls("POST", LongConnectionGateway.ENDPOINT), "a fresh URL for the reconnect");
        noEventLost(d);
        assertTrue(gateway.connection(firstId).orElseThrow().closeCause().contains("close frame"));
        assertTrue(bot.get("/metrics").body().matches("(?s).*bot_long_connection_reconnects_total [1-9].*"));
    }

    @Test
    void after_a_drop_it_reconnects_at_once_and_loses_no_event() throws Exception {
        long t0 = System.nanoTime();
        gateway.drop(firstId);
        Delivery d = gateway.say("oc_drop", "p2p", ALICE, "help").delivery();
        long ms = awaitNewConnection(t0, Duration.ofSeconds(3));
        report("drop (TCP closed, no close frame): reconnected after " + ms + " ms (SDK 2.5.3: 242 ms, within its 1 s jitter)");
        assertTrue(ms < 1_000, "at once: " + ms);
        noEventLost(d);
    }

    @Test
    void a_stalled_link_is_noticed_by_the_pong_timeout_and_replaced() throws Exception {
        gateway.timing(SLOWER.withDeadline(Duration.ofMillis(500)));
        long t0 = System.nanoTime();
        gateway.stall(firstId, true);
        Delivery d = gateway.say("oc_stall", "p2p", ALICE, "help").delivery();
        long ms = awaitNewConnection(t0, Duration.ofSeconds(5));
        report("stall (no pong, nothing arrives): reconnected after " + ms + " ms = at most one ping interval (1 s) + the pong "
                + "timeout (0.5 s) (SDK 2.5.3: never, it kept the stalled connection)");
        assertTrue(ms < 2_500, "within a ping interval and the pong timeout: " + ms);
        assertTrue(logs.events().stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("no pong within 500 ms")));
        noEventLost(d);
        assertTrue(d.attempts().size() > 1, "the push into the stall was lost and pushed again: " + d.attempts());
    }

    @Test
    void a_403_at_the_handshake_is_fatal_with_one_error_line_and_health_turns_503_after_the_grace() throws Exception {
        gateway.refuseHandshakes(1, Refusal.forbidden());
        gateway.drop(firstId);
        await(() -> bot.connection().stopped() != null, WAIT, "stopped");
        holds(() -> gateway.handshakes().size() == 2 && platform.calls("POST", LongConnectionGateway.ENDPOINT) == 2,
                Duration.ofSeconds(1), "no further attempt");
        assertEquals(1, errors().size(), errors().toString());
        assertTrue(errors().get(0).contains("403") && errors().get(0).contains("not trying again"), errors().get(0));

        assertEquals(200, bot.get("/healthz").statusCode(), "within the grace");
        bot.clock.advance(Duration.ofSeconds(6));
        HttpResponse<String> h = bot.get("/healthz");
        assertEquals(503, h.statusCode());
        JsonNode body = WsBot.json(h.body());
        assertFalse(body.path("connected").asBoolean());
        assertTrue(body.path("stopped").asText().contains("403"), body.toString());
        assertEquals("unavailable", body.path("status").asText());
    }

    @Test
    void the_connection_limit_is_fatal_with_one_error_line_saying_what_to_do() throws Exception {
        for (int i = 0; i < LongConnectionGateway.MAX_CONNECTIONS - 1; i++) others.add(rawConnection());
        assertTrue(gateway.awaitConnections(LongConnectionGateway.MAX_CONNECTIONS, WAIT));
        try (WsBot second = WsBot.start(platform, "jdbc:sqlite:" + dir.resolve("second.db"))) {
            await(() -> second.connection().stopped() != null, WAIT, "the 51st stops");
            assertEquals(Refusal.connectionLimit(), gateway.handshakes().get(0).refusal());
            holds(() -> gateway.handshakes().size() == LongConnectionGateway.MAX_CONNECTIONS + 1, Duration.ofSeconds(1), "no retry");
            List<String> errors = errors();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).contains("1000040350") && errors.get(0).contains("stop other processes"), errors.get(0));
            assertTrue(bot.connection().connected(), "the first bot keeps its connection");
        }
    }

    @Test
    void a_busy_handshake_and_a_failing_endpoint_are_retried_with_a_fresh_url_each_time() throws Exception {
        gateway.refuseHandshakes(1, Refusal.busy());
        platform.faults().serverError(LongConnectionGateway.ENDPOINT, 2);
        long t0 = System.nanoTime();
        gateway.drop(firstId);
        long ms = awaitNewConnection(t0, Duration.ofSeconds(5));
        report("drop, then endpoint HTTP 500 twice and a 514 busy: connected after " + ms + " ms (first retry after 100 ms, doubling; "
                + "SDK 2.5.3: 3 s for the two 500s alone, 1 s between tries)");
        assertEquals(3, platform.calls("POST", LongConnectionGateway.ENDPOINT), "first, then one refused at the handshake, one good "
                + "(the emulator counts no call it failed on purpose)");
        assertEquals(3, gateway.handshakes().size());
        assertEquals(List.of(), errors());
    }

    @Test
    void the_client_config_of_every_pong_is_adopted_and_reconnect_count_is_honoured() throws Exception {
        LongConnectionGateway.Handshake h = gateway.handshakes().get(0);
        var conn = gateway.connection(h.connectionId()).orElseThrow();
        await(() -> conn.pings() >= 2, WAIT, "a ping a second");
        gateway.clientConfig(new ClientConfig(2, 1, 0, 30));
        int before = conn.pings();
        await(() -> conn.pings() >= before + 1, WAIT, "the ping that brings the new config back");
        int adopted = conn.pings();
        holds(() -> conn.pings() == adopted, Duration.ofMillis(2_500), "no ping for 30 s now");

        platform.faults().serverError(LongConnectionGateway.ENDPOINT, 10);
        gateway.drop(firstId);
        await(() -> bot.connection().stopped() != null, WAIT, "gave up");
        assertEquals(1, platform.calls("POST", LongConnectionGateway.ENDPOINT), "the first; the two failed tries are not counted");
        assertEquals(8, platform.faults().failures().get(0).remaining(), "of 10 failures two were met: ReconnectCount = 2 tries, then none");
        assertTrue(bot.connection().stopped().contains("ReconnectCount (2)"), bot.connection().stopped());
        assertEquals(1, errors().size());
    }

    @Test
    void wrong_credentials_stop_it_at_the_endpoint_with_one_error_line_and_no_secret_in_it() {
        bot.close();
        bot = null;
        String yaml = WsBot.YAML;
        var cfg = WsBot.config(platform, "jdbc:sqlite:" + dir.resolve("wrong.db"), yaml);
        var wrong = cfg.withFeishu(new com.permissionbot.config.BotConfig.Feishu(cfg.feishu().appId(), "the-wrong-secret-42", "", "",
                cfg.feishu().baseUrl(), "", false, cfg.feishu().connectTimeout(), cfg.feishu().readTimeout(), cfg.feishu().callTimeout(),
                cfg.feishu().maxRateLimitWait(), false, cfg.feishu().transport()));
        var clock = new com.permissionbot.support.OffsetClock();
        try (var app = new com.permissionbot.App(wrong, com.permissionbot.store.JdbcStore.open(wrong.databaseUrl()),
                new com.permissionbot.feishu.SdkFeishuGateway(wrong.feishu(), clock), clock).start()) {
            await(() -> app.longConnection().orElseThrow().stopped() != null, WAIT, "stopped");
            assertEquals(1, errors().size(), errors().toString());
            assertTrue(errors().get(0).contains(String.valueOf(LongConnectionGateway.CREDENTIALS_INVALID)), errors().get(0));
            assertTrue(errors().get(0).contains("FEISHU_APP_SECRET"), errors().get(0));
            assertTrue(logs.events().stream().noneMatch(e -> e.getFormattedMessage().contains("the-wrong-secret-42")), "the secret is never logged");
        }
    }

    /** Another client of the same app holding a connection (a bare JDK WebSocket after the endpoint call). */
    WebSocket rawConnection() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String body = "{\"AppID\":\"" + platform.config().appId() + "\",\"AppSecret\":\"" + platform.config().appSecret() + "\"}";
        JsonNode e = WsBot.json(http.send(HttpRequest.newBuilder(URI.create(platform.baseUrl() + LongConnectionGateway.ENDPOINT))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        return http.newWebSocketBuilder().buildAsync(URI.create(e.path("data").path("URL").asText()), new WebSocket.Listener() {})
                .get(5, TimeUnit.SECONDS);
    }

    static void report(String s) {
        System.out.println("[measured] bot's long connection, " + s);
    }
}
