package com.permissionbot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.sandbox.Playground;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.StreamSupport;

import static com.permissionbot.e2e.SandboxWorld.JSON;
import static com.permissionbot.e2e.SandboxWorld.title;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sandbox mode with {@code FEISHU_TRANSPORT=websocket}: the bot opens its long connection to the emulator's gateway,
 * the playground delivers messages, clicks and the bot-added event over it, labels each with its transport, and
 * offers the gateway's fault switches; the webhook routes refuse every request (no encrypt key).
 */
class PlaygroundLongConnectionTest {
    static final String WEBSOCKET = """
            feishu:
              transport: websocket
              long_connection:
                reconnect_jitter_ms: 0
            """;

    @TempDir
    Path dir;
    SandboxWorld world;

    @AfterEach
    void stop() {
        if (world != null) world.close();
    }

    JsonNode transport() {
        return world.state().path("transport");
    }

    String connectionId() {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            JsonNode c = transport().path("connections");
            if (c.size() == 1) return c.get(0).path("id").asText();
            SandboxWorld.sleep(20);
        }
        throw new AssertionError("the bot is not connected: " + transport());
    }

    String awaitOtherConnection(String old) {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
            JsonNode c = transport().path("connections");
            if (c.size() == 1 && !c.get(0).path("id").asText().equals(old)) return c.get(0).path("id").asText();
            SandboxWorld.sleep(20);
        }
        throw new AssertionError("no new connection: " + transport());
    }

    @Test
    void messages_clicks_and_the_bot_added_event_come_over_the_long_connection_each_labelled() {
        world = SandboxWorld.start(dir, WEBSOCKET);
        assertEquals("websocket", transport().path("name").asText());
        connectionId();

        String chat = world.p2pChat();
        JsonNode sent = world.say("p2p", "missing permissions", false);
        assertEquals("websocket", sent.path("transport").asText());
        JsonNode reply = world.replyTo(chat, sent.path("messageId").asText());
        assertEquals("Missing scopes: 4", title(reply.path("card")));
        JsonNode mine = StreamSupport.stream(world.get("/messages?chat=" + chat).path("messages").spliterator(), false)
                .filter(m -> m.path("id").asText().equals(sent.path("messageId").asText())).findFirst().orElseThrow();
        assertEquals("websocket", mine.path("transport").asText(), "the user's message is labelled: " + mine);

        ObjectNode click = JSON.createObjectNode().put("messageId", reply.path("id").asText()).put("user", SandboxWorld.ALICE);
        click.set("value", SandboxWorld.button(reply.path("card"), "apply").orElseThrow());
        JsonNode answer = world.post("/click", click);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        assertEquals("websocket", answer.path("transport").asText());
        assertEquals("Request sent to the admin", title(answer.path("card")));
        assertTrue(answer.path("ms").asLong() < 3_000);

        JsonNode added = world.post("/group/add-bot", JSON.createObjectNode().put("user", SandboxWorld.ALICE));
        assertEquals(200, added.path("delivery").path("status").asInt(), added.toString());
        assertTrue(world.await(Playground.GROUP_CHAT_ID, m -> m.has("card"), Duration.ofSeconds(10)).isPresent());

        JsonNode deliveries = world.state().path("deliveries");
        assertTrue(deliveries.size() >= 3, deliveries.toString());
        for (JsonNode d : deliveries) assertEquals("websocket", d.path("transport").asText(), d.toString());

        HttpResponse<String> webhook = world.raw("POST", "/webhook/event", "{\"schema\":\"2.0\"}");
        assertEquals(403, webhook.statusCode(), "no encrypt key in this mode: " + webhook.body());
    }

    @Test
    void the_admin_pane_closes_drops_stalls_and_refuses_and_the_bot_comes_back() {
        world = SandboxWorld.start(dir, WEBSOCKET);
        String first = connectionId();
        world.post("/faults", JSON.createObjectNode().put("action", "ws-close"));
        String second = awaitOtherConnection(first);
        world.post("/faults", JSON.createObjectNode().put("action", "ws-drop"));
        String third = awaitOtherConnection(second);
        JsonNode closed = transport().path("closed");
        assertTrue(closed.toString().contains("close frame") && closed.toString().contains("no close frame"), closed.toString());

        world.post("/faults", JSON.createObjectNode().put("action", "ws-stall").put("on", true));
        assertTrue(transport().path("connections").get(0).path("stalled").asBoolean());
        world.post("/faults", JSON.createObjectNode().put("action", "ws-refuse").put("refusal", "busy").put("times", 2));
        assertEquals(2, transport().path("refusalsLeft").asInt());
        world.post("/faults", JSON.createObjectNode().put("action", "clear"));
        assertEquals(0, transport().path("refusalsLeft").asInt());
        assertFalse(transport().path("connections").get(0).path("stalled").asBoolean());
        assertEquals(third, connectionId());

        world.post("/faults", JSON.createObjectNode().put("action", "ws-refuse").put("refusal", "busy"));
        world.post("/faults", JSON.createObjectNode().put("action", "ws-drop"));
        assertNotEquals(third, awaitOtherConnection(third), "a busy refusal is retried");
        assertEquals(1, transport().path("refused").size());

        JsonNode sent = world.say("p2p", "help", false);
        world.replyTo(world.p2pChat(), sent.path("messageId").asText());
        HttpResponse<String> bad = world.raw("POST", "/playground/api/faults", "{\"action\":\"ws-refuse\",\"refusal\":\"teapot\"}");
        assertEquals(400, bad.statusCode());
    }

    @Test
    void with_webhooks_the_playground_says_so_and_refuses_the_long_connection_switches() {
        world = SandboxWorld.start(dir);
        assertEquals("webhook", transport().path("name").asText());
        JsonNode sent = world.say("p2p", "help", false);
        assertEquals("webhook", sent.path("transport").asText());
        world.replyTo(world.p2pChat(), sent.path("messageId").asText());
        assertEquals("webhook", world.state().path("deliveries").get(0).path("transport").asText());
        HttpResponse<String> r = world.raw("POST", "/playground/api/faults", "{\"action\":\"ws-drop\"}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("FEISHU_TRANSPORT=websocket"), r.body());
    }
}
