package com.permissionbot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.config.ConfigException;
import com.permissionbot.sandbox.TenantState;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.StreamSupport;

import static com.permissionbot.e2e.SandboxWorld.JSON;
import static com.permissionbot.e2e.SandboxWorld.title;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sandbox mode as an operator runs it: where it listens, and what a restart on the same database remembers. */
class SandboxModeTest {
    @TempDir
    Path dir;
    SandboxWorld world;

    @AfterEach
    void stop() {
        if (world != null) world.close();
    }

    private String listensOn() {
        return Arrays.stream(world.app.http().jettyServer().server().getConnectors())
                .map(c -> String.valueOf(((ServerConnector) c).getHost())).findFirst().orElseThrow();
    }

    private JsonNode ask(String text) {
        JsonNode sent = world.say("p2p", text, false);
        return world.replyTo(world.p2pChat(), sent.path("messageId").asText()).path("card");
    }

    private JsonNode definition(String code) {
        return StreamSupport.stream(world.state().path("approvals").spliterator(), false)
                .filter(a -> code.equals(a.path("code").asText())).findFirst().orElseThrow();
    }

    @Test
    void a_restart_on_the_same_database_agrees_with_itself() {
        String code = TenantState.SAMPLE_APPROVAL_CODE;
        world = SandboxWorld.start(dir);
        assertEquals("1.0.1", world.post("/versions/publish", JSON.createObjectNode()).path("version").asText());
        JsonNode missing = world.say("p2p", "missing permissions", false);
        JsonNode missingCard = world.replyTo(world.p2pChat(), missing.path("messageId").asText());
        ObjectNode click = JSON.createObjectNode().put("messageId", missingCard.path("id").asText()).put("user", SandboxWorld.ALICE);
        click.set("value", SandboxWorld.button(missingCard.path("card"), "apply").orElseThrow());
        JsonNode applied = world.post("/click", click);
        assertTrue(applied.path("card").toString().contains("1/10"), applied.toString());
        assertEquals("Subscribed to approval events", title(ask("subscribe approval " + code)));
        world.close();

        world = SandboxWorld.start(dir);
        JsonNode state = world.state();
        assertEquals("1.0.1", state.path("quota").path("version").asText(), "the emulator kept the published version: " + state);
        assertEquals(1, state.path("quota").path("used").asInt(), "and the application it counted");
        assertTrue(state.path("application").path("pending").asBoolean(), "and the application waiting for the admin");
        assertTrue(definition(code).path("subscribed").asBoolean(), "and the app's subscription");

        String quota = ask("quota").toString();
        assertTrue(quota.contains("1/10") && quota.contains("1.0.1"), "the bot and the emulator agree: " + quota);
        assertTrue(ask("approval subscriptions").toString().contains(code.replace("-", "&#45;")), "the bot still lists the subscription");
        JsonNode created = world.post("/approvals/instances", JSON.createObjectNode().put("code", code));
        assertTrue(created.path("pushed").asBoolean(), "the emulator still pushes the subscribed definition's events: " + created);
        String instance = created.path("instance").path("instanceCode").asText();
        world.await(world.p2pChat(), m -> m.path("card").toString().contains(instance.replace("-", "&#45;")), Duration.ofSeconds(10))
                .orElseThrow(() -> new AssertionError("the bot posted no status card for " + instance));
    }

    @Test
    void without_its_database_the_emulator_starts_fresh_too() throws Exception {
        world = SandboxWorld.start(dir);
        world.post("/versions/publish", JSON.createObjectNode());
        world.close();
        world = null;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("bot.db") && !f.toString().endsWith(".json")).toList()) {
                Files.delete(f);
            }
        }
        world = SandboxWorld.start(dir);
        assertEquals("1.0.0", world.state().path("quota").path("version").asText());
    }

    @Test
    void a_database_without_the_emulator_world_beside_it_is_refused() throws Exception {
        world = SandboxWorld.start(dir);
        world.close();
        world = null;
        Files.delete(dir.resolve("bot.db.sandbox.json"));
        ConfigException e = assertThrows(ConfigException.class, () -> SandboxWorld.start(dir));
        assertTrue(e.getMessage().startsWith("database.url: " + dir.resolve("bot.db") + " holds data from an earlier run, "
                + "but the sandbox's world bot.db.sandbox.json is not beside it"), e.getMessage());
    }

    @Test
    void an_unreadable_world_stops_start_up_naming_it() throws Exception {
        world = SandboxWorld.start(dir);
        world.close();
        world = null;
        Files.writeString(dir.resolve("bot.db.sandbox.json"), "{\"format\": 1, \"tenant\": ");
        ConfigException e = assertThrows(ConfigException.class, () -> SandboxWorld.start(dir));
        assertTrue(e.getMessage().startsWith("the sandbox's world " + dir.resolve("bot.db.sandbox.json") + " cannot be read ("), e.getMessage());
    }

    @Test
    void sandbox_mode_listens_on_loopback_only() {
        world = SandboxWorld.start(dir);
        assertEquals("127.0.0.1", listensOn());
    }

    @Test
    void server_host_opens_sandbox_mode_to_other_interfaces() {
        world = SandboxWorld.start(dir, "server:\n  host: 0.0.0.0\n");
        assertEquals("0.0.0.0", listensOn());
    }
}
