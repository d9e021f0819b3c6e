package com.permissionbot.longconnection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.sandbox.ClientConfig;
import com.permissionbot.sandbox.EventPusher;
import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.LongConnectionGateway.Attempt;
import com.permissionbot.sandbox.LongConnectionGateway.Delivery;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.PlatformEvents;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.store.Store;
import com.permissionbot.store.StoreException;
import com.permissionbot.support.CardJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static com.permissionbot.longconnection.WsBot.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bot over the long connection (a real WebSocket on 127.0.0.1 to the emulator's gateway): messages, clicks, re-pushes, parts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LongConnectionBotTest {
    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");
    static final PlatformEvents.Person BOB = PlatformEvents.Person.of("ou_bob", "Bob");
    static final Duration WAIT = Duration.ofSeconds(10);
    /** Retries after 15 ms, 300 ms, 3.6 s and 21.6 s. */
    static final EventPusher.Settings RETRY_SOON = EventPusher.Settings.platform().compressed(1_000);
    static final String REPLY = "/open-apis/im/v1/messages/{message_id}/reply";

    @TempDir
    Path dir;
    PlatformEmulator platform;
    LongConnectionGateway gateway;
    WsBot bot;

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start();
        gateway = platform.longConnection().timing(RETRY_SOON).clientConfig(new ClientConfig(-1, 1, 0, 1));
    }

    @AfterEach
    void stop() {
        if (bot != null) bot.close();
        platform.close();
    }

    void startBot() throws InterruptedException {
        bot = WsBot.start(platform, "jdbc:sqlite:" + dir.resolve("bot.db"));
        assertTrue(gateway.awaitConnections(1, WAIT), "connected");
    }

    List<SentMessage> repliesTo(String messageId) {
        return platform.messages().stream().filter(m -> m.kind() == SentMessage.Kind.REPLY && messageId.equals(m.parentId())).toList();
    }

    SentMessage awaitReply(String messageId) {
        await(() -> !repliesTo(messageId).isEmpty(), WAIT, "a reply to " + messageId);
        return repliesTo(messageId).get(0);
    }

    @Test
    void a_message_is_acknowledged_200_on_its_first_push_and_answered() throws Exception {
        startBot();
        LongConnectionGateway.Said said = gateway.say("oc_chat_1", "p2p", ALICE, "help");
        assertTrue(said.delivery().done().get(5, TimeUnit.SECONDS));
        Attempt first = said.delivery().attempts().get(0);
        assertEquals(200, first.code(), first.toString());
        assertEquals(bot.connection().connectionId(), said.delivery().receivedBy());
        SentMessage reply = awaitReply(said.message().messageId());
        assertEquals("interactive", reply.msgType());

        HttpResponse<String> health = bot.get("/healthz");
        assertEquals(200, health.statusCode());
        JsonNode h = WsBot.json(health.body());
        assertEquals("websocket", h.path("transport").asText());
        assertTrue(h.path("connected").asBoolean(), h.toString());
        assertEquals(bot.connection().connectionId(), h.path("connection_id").asText());
        assertFalse(h.path("connected_since").asText().isEmpty());

        String metrics = bot.get("/metrics").body();
        assertTrue(metrics.contains("bot_long_connection_connected 1.0"), metrics);
        assertTrue(metrics.contains("bot_long_connection_frames_total{type=\"event\"}"), metrics);
        assertTrue(metrics.contains("bot_long_connection_frames_total{type=\"pong\"}"), metrics);
        assertTrue(metrics.contains("bot_long_connection_acks_total{code=\"200\"}"), metrics);
        assertTrue(metrics.contains("bot_long_connection_ack_seconds_count"), metrics);
        assertTrue(metrics.contains("bot_long_connection_reconnects_total"), metrics);
    }

    @Test
    void a_click_is_answered_in_the_ack_within_3_s_and_two_racing_clicks_apply_once() throws Exception {
        startBot();
        LongConnectionGateway.Said said = gateway.say("oc_chat_2", "p2p", ALICE, "missing permissions");
        SentMessage card = awaitReply(said.message().messageId());
        Map<String, String> apply = CardJson.button(card.content(), "apply");
        assertTrue(apply != null, "an Apply button: " + card.content());
        ObjectNode value = WsBot.json("{}").deepCopy();
        apply.forEach(value::put);

        CompletableFuture<EventPusher.CallbackResult> one = CompletableFuture.supplyAsync(() -> gateway.click(card.messageId(), ALICE, value, "apply"));
        CompletableFuture<EventPusher.CallbackResult> two = CompletableFuture.supplyAsync(() -> gateway.click(card.messageId(), ALICE, value, "apply"));
        for (EventPusher.CallbackResult r : List.of(one.get(10, TimeUnit.SECONDS), two.get(10, TimeUnit.SECONDS))) {
            assertTrue(r.ok(), r.toString());
            assertTrue(r.millis() < 3_000, r.millis() + " ms");
            assertFalse(r.toast().path("content").asText().isEmpty(), "a toast: " + r.body());
        }
        await(() -> platform.applyCalls() == 1, WAIT, "one apply");
        WsBot.holds(() -> platform.applyCalls() == 1 && platform.appliesUsed() == 1, Duration.ofMillis(500), "exactly one apply");
        assertEquals(2, gateway.recent().stream().filter(Delivery::callback).count());
        assertTrue(gateway.recent().stream().filter(Delivery::callback).allMatch(d -> d.attempts().size() == 1), "callbacks are never pushed again");
    }

    @Test
    void a_click_on_a_slow_platform_is_answered_working_in_the_ack_within_3_s_and_its_card_updated_later() throws Exception {
        startBot();
        LongConnectionGateway.Said said = gateway.say("oc_chat_slow", "p2p", ALICE, "missing permissions");
        SentMessage card = awaitReply(said.message().messageId());
        ObjectNode value = WsBot.json("{}").deepCopy();
        CardJson.button(card.content(), "apply").forEach(value::put);
        platform.faults().delay("/open-apis/application/v6/scopes/apply", Duration.ofMillis(2600));

        EventPusher.CallbackResult r = gateway.click(card.messageId(), ALICE, value, "apply");
        assertTrue(r.ok(), r.toString());
        assertTrue(r.millis() < 3_000, "answered within the platform's 3 s: " + r.millis() + " ms");
        assertEquals("info", r.toast().path("type").asText(), "the working toast: " + r.body());
        await(() -> platform.messages().stream().anyMatch(m -> m.kind() == SentMessage.Kind.PATCH && m.messageId().equals(card.messageId())
                && m.content().toString().contains("1/10")), WAIT, "the card updated with the outcome");
        assertEquals(1, platform.applyCalls());
    }

    @Test
    void an_event_pushed_again_under_its_event_id_or_its_message_under_a_new_event_id_is_handled_once() throws Exception {
        startBot();
        LongConnectionGateway.Said said = gateway.say("oc_chat_3", "p2p", ALICE, "help");
        assertTrue(said.delivery().done().get(5, TimeUnit.SECONDS));
        Delivery same = gateway.redeliver(said.delivery(), false);
        Delivery renamed = gateway.redeliver(said.delivery(), true);
        assertTrue(same.done().get(5, TimeUnit.SECONDS), "the repeat is acknowledged too");
        assertTrue(renamed.done().get(5, TimeUnit.SECONDS));
        assertEquals(said.delivery().eventId(), same.eventId());
        assertFalse(said.delivery().eventId().equals(renamed.eventId()));
        awaitReply(said.message().messageId());
        WsBot.holds(() -> repliesTo(said.message().messageId()).size() == 1, Duration.ofMillis(700), "one reply");
        assertEquals(1, platform.calls("POST", REPLY));
    }

    @Test
    void messages_in_many_parts_sent_at_once_are_joined_each_answered_once_from_its_first_push() throws Exception {
        gateway.timing(RETRY_SOON.withDeadline(Duration.ofSeconds(2))).fragmentSize(48);
        startBot();
        List<LongConnectionGateway.Said> said = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            said.add(gateway.say("oc_parts_" + i, "p2p", ALICE, "缺少哪些权限 missing permissions " + i + " ".repeat(400 + i * 10)));
        }
        for (LongConnectionGateway.Said s : said) {
            assertTrue(s.delivery().done().get(10, TimeUnit.SECONDS), s.delivery().attempts().toString());
            assertEquals(1, s.delivery().attempts().size(), "joined from the first push: " + s.delivery().attempts());
        }
        assertTrue(said.get(39).delivery().attempts().get(0).parts() > 15, "parts: " + said.get(39).delivery().attempts().get(0).parts());
        for (LongConnectionGateway.Said s : said) awaitReply(s.message().messageId());
        WsBot.holds(() -> said.stream().allMatch(s -> repliesTo(s.message().messageId()).size() == 1), Duration.ofMillis(500), "one reply each");
        assertEquals(40, platform.calls("POST", REPLY));
    }

    @Test
    void when_the_store_fails_the_event_is_acknowledged_500_and_the_platforms_push_again_is_handled_once() throws Exception {
        AtomicInteger failInserts = new AtomicInteger();
        bot = WsBot.start(platform, "jdbc:sqlite:" + dir.resolve("bot.db"), WsBot.YAML, s -> failing(s, failInserts));
        assertTrue(gateway.awaitConnections(1, WAIT));
        failInserts.set(1);
        LongConnectionGateway.Said said = gateway.say("oc_chat_4", "p2p", ALICE, "help");
        assertTrue(said.delivery().done().get(10, TimeUnit.SECONDS));
        List<Integer> codes = said.delivery().attempts().stream().map(Attempt::code).toList();
        assertEquals(List.of(500, 200), codes);
        awaitReply(said.message().messageId());
        WsBot.holds(() -> repliesTo(said.message().messageId()).size() == 1, Duration.ofMillis(500), "one reply");
        assertTrue(bot.get("/metrics").body().contains("bot_long_connection_acks_total{code=\"500\"}"));
    }

    @Test
    void an_event_the_bot_does_not_handle_is_acknowledged_200_and_dropped() throws Exception {
        startBot();
        String other = "{\"schema\":\"2.0\",\"header\":{\"event_id\":\"ev_other_1\",\"event_type\":\"contact.user.updated_v3\","
                + "\"tenant_key\":\"tenant_sandbox\",\"app_id\":\"" + platform.config().appId() + "\"},\"event\":{}}";
        Delivery d = gateway.push(other);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals(List.of(200), d.attempts().stream().map(Attempt::code).toList());
        Delivery malformed = gateway.push("{\"schema\":\"2.0\",\"header\":{\"event_type\":\"im.message.receive_v1\"},\"event\":{}}");
        assertTrue(malformed.done().get(5, TimeUnit.SECONDS));
        assertEquals(List.of(200), malformed.attempts().stream().map(Attempt::code).toList(),
                "a refused payload is acked 200 at once: a push again would not mend it");
    }

    @Test
    void the_webhook_routes_refuse_every_request_without_an_encrypt_key() throws Exception {
        startBot();
        HttpResponse<String> r = bot.post("/webhook/event", "{\"schema\":\"2.0\",\"header\":{\"event_id\":\"x\"}}");
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("FEISHU_TRANSPORT=websocket"), r.body());
        assertEquals(403, bot.post("/webhook/card", "{\"type\":\"url_verification\",\"challenge\":\"c\"}").statusCode());
    }

    @Test
    void shutdown_closes_the_socket_with_a_close_frame_and_leaves_no_thread_behind() throws Exception {
        startBot();
        LongConnectionGateway.Said said = gateway.say("oc_chat_5", "p2p", ALICE, "help");
        awaitReply(said.message().messageId());
        String id = bot.connection().connectionId();
        assertFalse(ourThreads().isEmpty(), "the client's threads while it runs: " + ourThreads());
        bot.close();
        bot = null;
        await(() -> gateway.connections().isEmpty(), WAIT, "the gateway saw the close");
        String cause = gateway.connection(id).orElseThrow().closeCause();
        assertTrue(cause.contains("1000"), "a normal close: " + cause);
        await(() -> ourThreads().isEmpty(), Duration.ofSeconds(5), "no thread of the long connection left: " + ourThreads());
        WsBot.holds(() -> gateway.handshakes().size() == 1, Duration.ofMillis(500), "no reconnect after the shutdown");
    }

    /** Live threads of the bot's long connection: its own, OkHttp's WebSocket writer, any running its code. */
    static List<String> ourThreads() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().isAlive())
                .filter(e -> e.getKey().getName().startsWith("feishu-ws") || e.getKey().getName().startsWith("OkHttp WebSocket")
                        || java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("com.permissionbot.edge.LongConnection")))
                .map(e -> e.getKey().getName()).sorted().collect(Collectors.toList());
    }

    /** The store, with its inbox inserts failing while {@code failures} is above zero (each failure counts one down). */
    static Store failing(Store real, AtomicInteger failures) {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, m, args) -> {
            if (m.getName().startsWith("inboxInsert") && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StoreException("injected failure", new java.sql.SQLException("disk I/O error"));
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
