package com.permissionbot.sandbox;

import com.lark.oapi.event.EventDispatcher;
import com.lark.oapi.service.im.ImService;
import com.lark.oapi.service.im.v1.model.P2ChatMemberBotAddedV1;
import com.lark.oapi.ws.Client;
import com.permissionbot.sandbox.LongConnectionGateway.Delivery;
import com.permissionbot.sandbox.LongConnectionGateway.Refusal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static com.permissionbot.sandbox.LongConnectionSdkClientTest.holds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the SDK 2.5.3's client does after each fault of the gateway, measured with the shortest timing it accepts
 * (ping every 1 s, up to 1 s of jitter, retry every 1 s); each test prints its measurement as {@code [measured] ...}.
 */
class LongConnectionSdkFaultsTest {

    static final PlatformEvents.Person ALICE = PlatformEvents.Person.of("ou_alice", "Alice");
    /** Retries after 15 ms, 300 ms, 3.6 s and 21.6 s: an event outlives a reconnect. */
    static final EventPusher.Settings SLOWER = EventPusher.Settings.platform().compressed(1_000);

    Harness h;
    LongConnectionGateway gateway;
    Client sdk;
    String firstId;
    final BlockingQueue<String> handled = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws InterruptedException {
        h = Harness.start();
        gateway = h.emulator.longConnection().timing(SLOWER).clientConfig(LongConnectionSdkClientTest.QUICK);
        sdk = SdkWsClients.start(h.emulator, EventDispatcher.newBuilder("", "")
                .onP2ChatMemberBotAddedV1(new ImService.P2ChatMemberBotAddedV1Handler() {
                    @Override
                    public void handle(P2ChatMemberBotAddedV1 event) {
                        handled.add(event.getHeader().getEventId());
                    }
                }).build());
        assertTrue(gateway.awaitConnections(1, Duration.ofSeconds(5)));
        firstId = gateway.connections().get(0).id();
    }

    @AfterEach
    void stop() throws InterruptedException {
        SdkWsClients.stop(sdk);
        h.close();
    }

    @AfterAll
    static void no_thread_of_the_sdk_client_outlives_the_tests() {
        assertEquals(List.of(), SdkWsClients.leftovers());
    }

    @Test
    void after_a_drop_the_sdk_client_reconnects_within_its_jitter_and_no_event_is_lost() throws Exception {
        long t0 = System.nanoTime();
        gateway.drop(firstId);
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        long ms = awaitNewConnection(t0, Duration.ofSeconds(5));
        report("drop (TCP closed, no close frame): reconnected after " + ms + " ms");
        assertTrue(ms < 3_000, "at once (EOF) plus up to ReconnectNonce = 1 s: " + ms);
        assertEquals(2, h.emulator.calls("POST", LongConnectionGateway.ENDPOINT), "a fresh URL for the reconnect");

        assertTrue(d.done().get(30, TimeUnit.SECONDS), "delivered, on a retry if it met the gap: " + d.attempts());
        assertEquals(d.eventId(), handled.poll(5, TimeUnit.SECONDS));
        assertEquals(SdkWsClients.connectionId(sdk), d.receivedBy());
        assertTrue(handled.isEmpty(), "once");
    }

    @Test
    void after_a_normal_close_the_sdk_client_reconnects_only_when_a_ping_write_fails() throws Exception {
        gateway.closeNormally(firstId);
        long ms = awaitNewConnection(Duration.ofSeconds(15));
        report("normal close (close frame, TCP closed " + LongConnectionGateway.CLOSE_GRACE.toMillis()
                + " ms later): reconnected after " + ms + " ms, once a ping write failed");
        assertTrue(ms >= LongConnectionGateway.CLOSE_GRACE.toMillis(), "not before the TCP connection closed: " + ms);
        // the first ping after the TCP close still goes out (the peer answers RST), the next one fails: grace + one to
        // two ping intervals + the jitter; with the platform's 120 s / 30 s that is two to four and a half minutes
        assertTrue(ms < 8_000, "grace + one to two pings + up to 1 s of jitter (and slack for a busy machine): " + ms);
    }

    @Test
    void a_stalled_link_goes_unnoticed_by_the_sdk_client_until_the_connection_drops() throws Exception {
        gateway.timing(SLOWER.withDeadline(Duration.ofMillis(500)));
        gateway.stall(firstId, true);
        Delivery d = gateway.botAdded("oc_group", "Group", ALICE);
        holds(() -> gateway.connections().size() == 1 && gateway.connections().get(0).id().equals(firstId)
                && d.attempts().stream().noneMatch(LongConnectionGateway.Attempt::ok), Duration.ofSeconds(3),
                "three ping intervals without a pong: the client keeps the dead link");
        assertTrue(handled.isEmpty());
        report("stall (no pong, nothing arrives): still on the stalled connection after 3 s, "
                + gateway.connection(firstId).orElseThrow().ignored() + " pings ignored; no reconnect");

        gateway.drop(firstId);
        long ms = awaitNewConnection(Duration.ofSeconds(5));
        assertTrue(d.done().get(30, TimeUnit.SECONDS), "the un-acked event is pushed again over the new connection");
        assertEquals(d.eventId(), handled.poll(5, TimeUnit.SECONDS));
        report("stall then drop: reconnected " + ms + " ms after the drop; the event arrived with push " + d.attempts().size());
    }

    @Test
    void a_refused_handshake_with_514_is_retried() throws Exception {
        gateway.refuseHandshakes(1, Refusal.busy());
        gateway.drop(firstId);
        long ms = awaitNewConnection(Duration.ofSeconds(10));
        report("514 system busy at the next handshake: retried, connected after " + ms + " ms, "
                + h.emulator.calls("POST", LongConnectionGateway.ENDPOINT) + " endpoint calls in all");
        assertEquals(3, gateway.handshakes().size());
        assertFalse(gateway.handshakes().get(1).accepted());
    }

    @Test
    void a_refused_handshake_with_403_makes_the_sdk_client_give_up() throws Exception {
        gateway.refuseHandshakes(1, Refusal.forbidden());
        gateway.drop(firstId);
        LongConnectionSdkClientTest.awaitTrue(() -> gateway.handshakes().size() == 2, Duration.ofSeconds(5), "the refused handshake");
        holds(() -> gateway.connections().isEmpty() && gateway.handshakes().size() == 2
                        && h.emulator.calls("POST", LongConnectionGateway.ENDPOINT) == 2, Duration.ofSeconds(4),
                "no further attempt");
        report("403 at the next handshake: the client gave up (no endpoint call, no handshake in 4 s)");
    }

    @Test
    void an_endpoint_answering_500_is_retried_every_reconnect_interval() throws Exception {
        h.emulator.faults().serverError(LongConnectionGateway.ENDPOINT, 2);
        gateway.drop(firstId);
        long ms = awaitNewConnection(Duration.ofSeconds(10));
        report("endpoint HTTP 500 twice after a drop: connected after " + ms + " ms (jitter, then 1 s between tries)");
        assertTrue(ms >= 2_000, "two failed tries a second apart: " + ms);
    }

    private long awaitNewConnection(Duration max) throws InterruptedException {
        return awaitNewConnection(System.nanoTime(), max);
    }

    /** Milliseconds from {@code t0} until a connection other than the first is open. */
    private long awaitNewConnection(long t0, Duration max) throws InterruptedException {
        while (gateway.connections().stream().noneMatch(c -> !c.id().equals(firstId))) {
            if (System.nanoTime() - t0 > max.toNanos()) throw new AssertionError("no new connection within " + max);
            Thread.sleep(10);
        }
        return ms(t0);
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void report(String s) {
        System.out.println("[measured] SDK 2.5.3 ws.Client, " + s);
    }
}
