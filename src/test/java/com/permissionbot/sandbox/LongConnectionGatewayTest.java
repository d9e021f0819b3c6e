package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.lark.oapi.ws.pb.Pbbp2;
import com.permissionbot.sandbox.LongConnectionGateway.Delivery;
import com.permissionbot.sandbox.LongConnectionGateway.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The long-connection gateway driven by a bare frame client: endpoint, handshake, frames, acks, retries, cluster, limit, faults. */
class LongConnectionGatewayTest {

    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");
    static final Duration WAIT = Duration.ofSeconds(5);
    /** 15 s becomes 0.15 ms and 6 h 216 ms. */
    static final EventPusher.Settings FAST = EventPusher.Settings.platform().compressed(100_000);
    static final String CARD = "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":["
            + "{\"tag\":\"button\",\"text\":{\"tag\":\"plain_text\",\"content\":\"Apply\"},"
            + "\"behaviors\":[{\"type\":\"callback\",\"value\":{\"action\":\"apply\"}}]}]}}";

    Harness h;
    LongConnectionGateway gateway;
    final List<FrameClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        h = Harness.start();
        gateway = h.emulator.longConnection().timing(FAST);
    }

    @AfterEach
    void stop() {
        clients.forEach(FrameClient::close);
        h.close();
    }

    FrameClient connect() throws Exception {
        FrameClient c = FrameClient.connect(h.emulator);
        clients.add(c);
        return c;
    }

    @Test
    void the_endpoint_hands_out_a_one_time_url_and_all_four_client_config_fields() throws Exception {
        EmulatorConfig c = h.emulator.config();
        FrameClient.Endpoint e = FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), c.appSecret());
        assertEquals(0, e.code());
        assertTrue(e.url().matches("ws://127\\.0\\.0\\.1:" + h.emulator.port() + "/ws/v2\\?device_id=\\d+&service_id=\\d+&ticket=[0-9a-f]{32}"), e.url());
        assertEquals("{\"ReconnectCount\":-1,\"ReconnectInterval\":120,\"ReconnectNonce\":30,\"PingInterval\":120}",
                e.clientConfig().toString());

        FrameClient first = FrameClient.open(e.url());
        clients.add(first);
        assertTrue(gateway.awaitConnections(1, WAIT));
        assertEquals(first.connectionId(), gateway.connections().get(0).id());

        FrameClient.Refused again = FrameClient.refusedAt(e.url());
        assertEquals(514, again.status(), "a URL is good for one handshake");
        assertEquals("514", again.handshakeStatus());
        assertNotNull(again.msg());
        assertNotEquals(String.valueOf(LongConnectionGateway.EXCEED_CONN_LIMIT), again.authErrCode(), "retryable, not the limit");
        assertEquals(1, h.emulator.calls("POST", LongConnectionGateway.ENDPOINT));
    }

    @Test
    void wrong_or_missing_credentials_get_a_non_zero_code() throws Exception {
        EmulatorConfig c = h.emulator.config();
        assertEquals(LongConnectionGateway.CREDENTIALS_INVALID, FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), "wrong").code());
        assertEquals(LongConnectionGateway.CREDENTIALS_INVALID, FrameClient.endpoint(h.emulator.baseUrl(), "cli_other", c.appSecret()).code());
        assertEquals(LongConnectionGateway.CREDENTIALS_MISSING, FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), "").code());
        FrameClient.Refused r = FrameClient.refusedAt("ws://127.0.0.1:" + h.emulator.port() + "/ws/v2?device_id=1&service_id=1&ticket=made-up");
        assertEquals(514, r.status());
    }

    @Test
    void a_ping_is_answered_with_a_pong_carrying_the_client_config() throws Exception {
        gateway.clientConfig(ClientConfig.platform().withPingInterval(1).withReconnect(3, 2, 1));
        FrameClient c = connect();
        c.ping();
        Pbbp2.Frame pong = c.await(f -> f.getMethod() == 0, WAIT);
        assertEquals("pong", FrameClient.header(pong, "type"));
        assertEquals(c.serviceId(), pong.getService());
        assertEquals("{\"ReconnectCount\":3,\"ReconnectInterval\":2,\"ReconnectNonce\":1,\"PingInterval\":1}",
                pong.getPayload().toStringUtf8());
        assertTrue(gateway.awaitConnections(1, WAIT));
        assertEquals(1, gateway.connections().get(0).pings());
    }

    @Test
    void an_event_goes_out_as_a_data_frame_with_all_five_headers_and_is_done_at_the_200_ack() throws Exception {
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);

        Pbbp2.Frame f = c.awaitData(WAIT);
        assertEquals("event", FrameClient.header(f, "type"));
        assertEquals("1", FrameClient.header(f, "sum"));
        assertEquals("0", FrameClient.header(f, "seq"));
        assertNotNull(FrameClient.header(f, "message_id"));
        assertNotNull(FrameClient.header(f, "trace_id"));
        assertEquals(c.serviceId(), f.getService());
        JsonNode ev = FrameClient.json(f);
        assertEquals("im.chat.member.bot.added_v1", ev.path("header").path("event_type").asText());
        assertEquals(d.eventId(), ev.path("header").path("event_id").asText());
        assertFalse(d.done().isDone(), "not done before the ack");

        c.ack(f, 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals(c.connectionId(), d.receivedBy());
        assertEquals(1, d.attempts().size());
        assertTrue(c.quietFor(x -> x.getMethod() == 1, Duration.ofMillis(300)), "an acked event is not pushed again");
    }

    @Test
    void a_large_event_is_fragmented_by_message_id_in_seq_order() throws Exception {
        gateway.fragmentSize(100);
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.say("oc_chat", "p2p", ALICE, "missing permissions ".repeat(20)).delivery();

        List<Pbbp2.Frame> parts = new ArrayList<>();
        Pbbp2.Frame f0 = c.awaitData(WAIT);
        parts.add(f0);
        int sum = Integer.parseInt(FrameClient.header(f0, "sum"));
        assertTrue(sum > 5, "sum " + sum);
        for (int i = 1; i < sum; i++) parts.add(c.awaitData(WAIT));
        for (int i = 0; i < sum; i++) {
            assertEquals(String.valueOf(i), FrameClient.header(parts.get(i), "seq"));
            assertEquals(FrameClient.header(f0, "message_id"), FrameClient.header(parts.get(i), "message_id"));
            assertTrue(parts.get(i).getPayload().size() <= 100);
        }
        assertEquals(d.eventId(), FrameClient.json(parts).path("header").path("event_id").asText());
        c.ack(parts.get(sum - 1), 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals(sum, d.attempts().get(0).parts());
    }

    @Test
    void an_event_not_acked_in_time_or_acked_500_is_pushed_again_with_the_same_event_id() throws Exception {
        gateway.timing(FAST.withDeadline(Duration.ofMillis(300)));
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);

        Pbbp2.Frame first = c.awaitData(WAIT);
        Pbbp2.Frame second = c.awaitData(WAIT);
        c.ack(second, 500, null);
        Pbbp2.Frame third = c.awaitData(WAIT);
        c.ack(third, 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));

        for (Pbbp2.Frame f : List.of(first, second, third)) {
            assertEquals(d.eventId(), FrameClient.json(f).path("header").path("event_id").asText());
        }
        assertEquals(3, Set.of(FrameClient.header(first, "message_id"), FrameClient.header(second, "message_id"),
                FrameClient.header(third, "message_id")).size(), "each push is its own message");
        List<LongConnectionGateway.Attempt> a = d.attempts();
        assertEquals(List.of(0, 500, 200), a.stream().map(LongConnectionGateway.Attempt::code).toList());
        assertTrue(a.get(0).error().startsWith("no ack within 300 ms"), a.get(0).error());
        assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(15), Duration.ofMinutes(5)),
                a.stream().map(LongConnectionGateway.Attempt::after).toList());
    }

    @Test
    void with_no_client_connected_the_platform_retries_on_its_schedule_and_gives_up() throws Exception {
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        assertFalse(d.done().get(10, TimeUnit.SECONDS));
        assertEquals(5, d.attempts().size());
        assertTrue(d.attempts().stream().allMatch(a -> "no client connected".equals(a.error()) && a.connectionId() == null));
    }

    @Test
    void a_card_click_is_answered_from_the_acks_data_and_never_pushed_again() throws Exception {
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        ImMessage card = botCard();
        String answer = "{\"toast\":{\"type\":\"success\",\"content\":\"ok\"},\"card\":{\"type\":\"raw\",\"data\":"
                + "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"body\":{\"elements\":[{\"tag\":\"markdown\",\"content\":\"done\"}]}}}}";
        Thread clicker = new Thread(() -> {
            try {
                Pbbp2.Frame f = c.awaitData(WAIT);
                assertEquals("card.action.trigger", FrameClient.json(f).path("header").path("event_type").asText());
                assertEquals("event", FrameClient.header(f, "type"));
                c.ack(f, 200, answer);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        clicker.start();
        EventPusher.CallbackResult r = gateway.click(card.messageId(), ALICE, Envelope.object().put("action", "apply"), "apply");
        clicker.join(5_000);

        assertTrue(r.ok(), r.toString());
        assertEquals("success", r.toast().path("type").asText());
        assertTrue(r.cardApplied());
        assertTrue(r.token().startsWith("c-"));
        assertTrue(h.emulator.im().find(card.messageId()).orElseThrow().content().contains("done"));
        Delivery d = gateway.recent().get(0);
        assertTrue(d.callback());
        assertEquals(c.connectionId(), d.receivedBy());
        assertEquals(r, d.answer().get(1, TimeUnit.SECONDS));
    }

    @Test
    void an_unanswered_click_shows_200341_and_is_not_pushed_again() throws Exception {
        gateway.timing(FAST.withDeadline(Duration.ofMillis(300)));
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        ImMessage card = botCard();

        EventPusher.CallbackResult r = gateway.click(card.messageId(), ALICE, Envelope.object().put("action", "apply"), null);
        assertEquals(EventPusher.CALLBACK_TIMEOUT, r.clientCode(), r.toString());
        Pbbp2.Frame f = c.awaitData(WAIT);
        c.ack(f, 200, "{\"toast\":{\"type\":\"info\",\"content\":\"late\"}}");
        assertTrue(c.quietFor(x -> x.getMethod() == 1, Duration.ofMillis(500)), "a callback is never pushed again");
        assertEquals(CARD, h.emulator.im().find(card.messageId()).orElseThrow().content(), "a late answer changes nothing");

        EventPusher.CallbackResult failed = clickAndAck(c, card, 500, null);
        assertEquals(EventPusher.CALLBACK_NOT_200, failed.clientCode());
        EventPusher.CallbackResult bad = clickAndAck(c, card, 200, "not json");
        assertEquals(EventPusher.CALLBACK_BAD_BODY, bad.clientCode());
    }

    @Test
    void with_several_connections_each_event_goes_to_one_random_client() throws Exception {
        List<FrameClient> cs = List.of(connect(), connect(), connect());
        assertTrue(gateway.awaitConnections(3, WAIT));
        List<Delivery> ds = new ArrayList<>();
        for (int i = 0; i < 60; i++) ds.add(gateway.botAdded("oc_group" + i, "Group", ALICE));

        Map<String, Integer> perClient = new HashMap<>();
        Set<String> eventIds = new HashSet<>();
        int seen = 0;
        while (seen < 60) {
            boolean any = false;
            for (FrameClient c : cs) {
                Pbbp2.Frame f = c.frames.poll(10, TimeUnit.MILLISECONDS);
                if (f == null || f.getMethod() != 1) continue;
                any = true;
                seen++;
                assertTrue(eventIds.add(FrameClient.json(f).path("header").path("event_id").asText()), "one client per event");
                perClient.merge(c.connectionId(), 1, Integer::sum);
                c.ack(f, 200, null);
            }
            if (!any) assertTrue(ds.stream().noneMatch(d -> d.attempts().size() > 1), "nothing is lost or retried");
        }
        for (Delivery d : ds) assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertTrue(perClient.size() >= 2, "spread over the clients: " + perClient);
    }

    @Test
    void the_51st_connection_is_refused_with_514_and_1000040350() throws Exception {
        for (int i = 0; i < LongConnectionGateway.MAX_CONNECTIONS; i++) connect();
        assertTrue(gateway.awaitConnections(50, WAIT));
        EmulatorConfig c = h.emulator.config();
        String url = FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), c.appSecret()).url();

        FrameClient.Refused r = FrameClient.refusedAt(url);
        assertEquals(514, r.status());
        assertEquals("514", r.handshakeStatus());
        assertEquals("1000040350", r.authErrCode());
        assertNotNull(r.msg());
        assertEquals(50, gateway.connections().size());

        clients.remove(0).close();
        assertTrue(gateway.awaitConnections(49, WAIT));
        connect();
        assertTrue(gateway.awaitConnections(50, WAIT), "a freed slot takes a new connection");
    }

    @Test
    void refused_handshakes_carry_the_chosen_status_and_the_three_headers() throws Exception {
        gateway.refuseHandshakes(1, Refusal.forbidden());
        gateway.refuseHandshakes(1, Refusal.busy());
        EmulatorConfig c = h.emulator.config();
        FrameClient.Refused r403 = FrameClient.refusedAt(FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), c.appSecret()).url());
        assertEquals(new FrameClient.Refused(403, "403", "forbidden", "0"), r403);
        FrameClient.Refused r514 = FrameClient.refusedAt(FrameClient.endpoint(h.emulator.baseUrl(), c.appId(), c.appSecret()).url());
        assertEquals(new FrameClient.Refused(514, "514", "system busy", "0"), r514);
        connect();
        assertTrue(gateway.awaitConnections(1, WAIT), "the switch refuses only the next handshakes");
        assertEquals(List.of(true, false, false), gateway.handshakes().stream().map(LongConnectionGateway.Handshake::accepted).toList());
    }

    @Test
    void a_normal_close_sends_a_close_frame_and_an_unacked_event_is_pushed_again_to_the_next_connection() throws Exception {
        gateway.timing(FAST.compressed(1_000));
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        c.awaitData(WAIT);
        assertTrue(gateway.closeNormally(c.connectionId()));

        assertEquals(1000, c.closed.get(5, TimeUnit.SECONDS), "a close frame with 1000");
        assertTrue(gateway.awaitConnections(0, WAIT));
        LongConnection gone = gateway.connection(c.connectionId()).orElseThrow();
        assertEquals(LongConnection.State.CLOSED, gone.state());
        assertTrue(gone.closeCause().contains("close frame"), gone.closeCause());

        FrameClient next = connect();
        Pbbp2.Frame again = next.awaitData(WAIT);
        assertEquals(d.eventId(), FrameClient.json(again).path("header").path("event_id").asText());
        next.ack(again, 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals("the connection closed before the ack", d.attempts().get(0).error());
        assertEquals(next.connectionId(), d.receivedBy());
    }

    @Test
    void a_drop_closes_the_tcp_connection_without_a_close_frame() throws Exception {
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        assertTrue(gateway.drop(c.connectionId()));
        assertEquals(1006, c.closed.get(5, TimeUnit.SECONDS), "the JDK's code for a connection closed with no close frame");
        assertTrue(gateway.awaitConnections(0, WAIT));
        assertTrue(gateway.connection(c.connectionId()).orElseThrow().closeCause().startsWith("dropped"));
    }

    @Test
    void a_stalled_connection_answers_no_ping_and_its_events_go_elsewhere_on_retry() throws Exception {
        gateway.timing(FAST.withDeadline(Duration.ofMillis(300)));
        FrameClient stalled = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        assertTrue(gateway.stall(stalled.connectionId(), true));
        stalled.ping();
        assertTrue(stalled.quietFor(f -> true, Duration.ofMillis(300)), "no pong on a stalled link");

        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        assertEquals(stalled.connectionId(), d.firstAttempt().get(5, TimeUnit.SECONDS).connectionId());
        assertTrue(d.firstAttempt().get().error().startsWith("no ack within"));
        FrameClient healthy = connect();
        assertTrue(gateway.awaitConnections(2, WAIT));
        gateway.stall(stalled.connectionId(), false);
        gateway.closeNormally(stalled.connectionId());
        Pbbp2.Frame f = healthy.awaitData(WAIT);
        healthy.ack(f, 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals(healthy.connectionId(), d.receivedBy());
        assertTrue(stalled.frames.stream().noneMatch(x -> x.getMethod() == 1), "nothing arrived over the stalled link");
    }

    @Test
    void a_stalled_connection_ignores_acks_so_the_event_is_pushed_again() throws Exception {
        gateway.timing(FAST.withDeadline(Duration.ofMillis(300)));
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        Pbbp2.Frame f = c.awaitData(WAIT);
        gateway.stall(c.connectionId(), true);
        c.ack(f, 200, null);
        assertFalse(d.firstAttempt().get(5, TimeUnit.SECONDS).ok());
        gateway.stall(c.connectionId(), false);
        Pbbp2.Frame again = c.awaitData(WAIT);
        c.ack(again, 200, null);
        assertTrue(d.done().get(5, TimeUnit.SECONDS));
        assertEquals(1, gateway.connection(c.connectionId()).orElseThrow().ignored());
    }

    @Test
    void the_duplicates_switch_repushes_a_message_under_its_event_id_and_under_a_new_one() throws Exception {
        gateway.setDuplicates(true);
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        LongConnectionGateway.Said said = gateway.say("oc_chat", "p2p", ALICE, "quota");

        List<JsonNode> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Pbbp2.Frame f = c.awaitData(WAIT);
            got.add(FrameClient.json(f));
            c.ack(f, 200, null);
        }
        assertTrue(c.quietFor(x -> x.getMethod() == 1, Duration.ofMillis(500)));
        List<String> eventIds = got.stream().map(j -> j.path("header").path("event_id").asText()).toList();
        assertEquals(2, eventIds.stream().filter(said.delivery().eventId()::equals).count(), eventIds.toString());
        assertEquals(2, Set.copyOf(eventIds).size());
        assertEquals(Set.of(said.message().messageId()),
                Set.copyOf(got.stream().map(j -> j.path("event").path("message").path("message_id").asText()).toList()));

        Delivery again = gateway.redeliver(said.delivery(), false);
        Pbbp2.Frame f = c.awaitData(WAIT);
        assertEquals(said.delivery().eventId(), FrameClient.json(f).path("header").path("event_id").asText());
        c.ack(f, 200, null);
        assertTrue(again.done().get(5, TimeUnit.SECONDS));
        assertEquals(EventPusher.Kind.DUPLICATE, again.kind());
    }

    @Test
    void an_event_without_a_card_context_is_still_answered_raw() throws Exception {
        FrameClient c = connect();
        assertTrue(gateway.awaitConnections(1, WAIT));
        Delivery d = gateway.push(gateway.events().cardAction(PlatformEvents.newEventId(), "c-00000000", "om_none", "oc_x",
                ALICE, Envelope.object(), null, null));
        Pbbp2.Frame f = c.awaitData(WAIT);
        c.ack(f, 200, "{\"toast\":{\"type\":\"info\",\"content\":\"hi\"}}");
        EventPusher.CallbackResult r = d.answer().get(5, TimeUnit.SECONDS);
        assertTrue(r.ok());
        assertEquals("hi", r.toast().path("content").asText());
        assertFalse(r.cardApplied());
    }

    private EventPusher.CallbackResult clickAndAck(FrameClient c, ImMessage card, int code, String data) throws Exception {
        Thread t = new Thread(() -> {
            try {
                c.ack(c.awaitData(WAIT), code, data);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        EventPusher.CallbackResult r = gateway.click(card.messageId(), ALICE, Envelope.object().put("action", "apply"), null);
        t.join(5_000);
        return r;
    }

    private ImMessage botCard() {
        ImMessage question = h.emulator.im().addUserMessage("oc_chat", ALICE.openId(), "text", PlatformEvents.textContent("hi"));
        return h.emulator.im().reply(question.messageId(), "interactive", CARD, false, null);
    }
}
