package com.permissionbot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.Playground;
import com.permissionbot.sandbox.TenantState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

import static com.permissionbot.e2e.SandboxWorld.JSON;
import static com.permissionbot.e2e.SandboxWorld.title;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Approval subscriptions and instance events through the real sandbox: the group subscribes by chat, the admin
 * creates and changes instances through the playground API, the platform pushes encrypted, signed
 * {@code approval_instance} events (schema 1.0) to the bot's webhook, and the bot keeps one status card per instance,
 * updated in place.
 */
class PlaygroundApprovalTest {
    static final String CODE = TenantState.SAMPLE_APPROVAL_CODE;
    static final String GROUP = Playground.GROUP_CHAT_ID;
    static final Pattern ENTITY = Pattern.compile("&#(\\d{1,7});");

    @TempDir
    Path dir;
    SandboxWorld world;

    @AfterEach
    void stop() {
        if (world != null) world.close();
    }

    /** The group subscribes the seeded definition by chat and gets the bot's subscribed card. */
    private void subscribeInTheGroup() {
        JsonNode said = world.say("group", "subscribe approval " + CODE, true);
        JsonNode reply = world.replyTo(GROUP, said.path("messageId").asText());
        assertEquals("Subscribed to approval events", title(reply.path("card")), reply.toString());
        assertTrue(text(reply.path("card")).contains(CODE), reply.toString());
        JsonNode def = definition(CODE);
        assertTrue(def.path("subscribed").asBoolean(), "the admin pane shows the app's subscription: " + def);
    }

    private JsonNode definition(String code) {
        return StreamSupport.stream(world.state().path("approvals").spliterator(), false)
                .filter(a -> code.equals(a.path("code").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no definition " + code + " in " + world.state().path("approvals")));
    }

    private JsonNode createInstance(String code) {
        return world.post("/approvals/instances", JSON.createObjectNode().put("code", code));
    }

    private JsonNode setStatus(String instanceCode, String status) {
        return world.post("/approvals/instances/status", JSON.createObjectNode().put("instanceCode", instanceCode).put("status", status));
    }

    /** The bot's status cards of one instance in the group. */
    private List<JsonNode> cardsOf(String instanceCode) {
        return StreamSupport.stream(world.get("/messages?chat=" + GROUP).path("messages").spliterator(), false)
                .filter(m -> "bot".equals(m.path("from").asText()) && text(m.path("card")).contains(instanceCode))
                .toList();
    }

    private JsonNode awaitCard(String instanceCode, String expectedTitle) {
        return world.await(GROUP, m -> "bot".equals(m.path("from").asText()) && text(m.path("card")).contains(instanceCode)
                && expectedTitle.equals(title(m.path("card"))), Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError(
                "no '" + expectedTitle + "' card for " + instanceCode + " in " + world.get("/messages?chat=" + GROUP)));
    }

    /** A card's JSON with the character references the bot writes for markdown-sensitive characters decoded. */
    static String text(JsonNode card) {
        Matcher m = ENTITY.matcher(card.toString());
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(Character.toString(Integer.parseInt(m.group(1)))));
        return m.appendTail(out).toString();
    }

    /** The English history lines of a status card. */
    private static List<String> history(JsonNode card) {
        for (JsonNode e : card.path("body").path("elements")) {
            if ("history".equals(e.path("element_id").asText())) {
                return List.of(e.path("i18n_content").path("en_us").asText().split("\n"));
            }
        }
        throw new AssertionError("no history on " + card);
    }

    private List<JsonNode> approvalDeliveries() {
        return StreamSupport.stream(world.state().path("deliveries").spliterator(), false)
                .filter(d -> "approval_instance".equals(d.path("type").asText())).toList();
    }

    @Test
    void a_subscribed_group_gets_one_status_card_per_instance_updated_in_place() {
        world = SandboxWorld.start(dir);
        subscribeInTheGroup();

        JsonNode created = createInstance(CODE);
        assertTrue(created.path("pushed").asBoolean(), created.toString());
        JsonNode instance = created.path("instance");
        String instanceCode = instance.path("instanceCode").asText();
        assertEquals("PENDING", instance.path("status").asText());
        assertTrue(instance.path("next").toString().contains("APPROVED"), instance.toString());

        JsonNode pending = awaitCard(instanceCode, "Approval: Pending");
        String messageId = pending.path("id").asText();
        assertTrue(text(pending.path("card")).contains(CODE), "the card names the definition");
        assertEquals(1, history(pending.path("card")).size(), pending.toString());

        JsonNode changed = setStatus(instanceCode, "APPROVED");
        assertEquals("APPROVED", changed.path("instance").path("status").asText());
        assertEquals(2, changed.path("instance").path("history").size());
        assertTrue(changed.path("instance").path("next").toString().contains("REVERTED"), changed.toString());

        JsonNode approved = awaitCard(instanceCode, "Approval: Approved");
        assertEquals(messageId, approved.path("id").asText(), "the same card is updated in place, not a new message");
        assertTrue(approved.path("updated").asBoolean(), approved.toString());
        List<String> lines = history(approved.path("card"));
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("Pending") && lines.get(1).endsWith("Approved"), "both changes, oldest first: " + lines);
        assertEquals(1, cardsOf(instanceCode).size(), "one card per instance in the chat");

        // both events went out as schema 1.0 approval_instance events and the bot acknowledged each
        List<JsonNode> deliveries = approvalDeliveries();
        assertEquals(2, deliveries.size(), deliveries.toString());
        assertTrue(deliveries.stream().allMatch(d -> d.path("attempts").path(0).path("status").asInt() == 200), deliveries.toString());
        JsonNode history = world.get("/approvals/instances").path("instances").get(0).path("history");
        assertTrue(history.get(0).path("pushed").asBoolean() && history.get(1).path("pushed").asBoolean(), history.toString());
    }

    @Test
    void an_instance_of_a_definition_nobody_subscribed_produces_no_card_and_no_event() {
        world = SandboxWorld.start(dir);
        subscribeInTheGroup();
        world.post("/approvals", JSON.createObjectNode().put("code", "LEAVE-2026"));
        assertFalse(definition("LEAVE-2026").path("subscribed").asBoolean());

        JsonNode created = createInstance("LEAVE-2026");
        assertFalse(created.path("pushed").asBoolean(), "the platform pushes nothing for an unsubscribed definition: " + created);
        String instanceCode = created.path("instance").path("instanceCode").asText();
        setStatus(instanceCode, "REJECTED");

        // a subscribed instance created afterwards does arrive: by then the other one would have too
        String control = createInstance(CODE).path("instance").path("instanceCode").asText();
        awaitCard(control, "Approval: Pending");
        SandboxWorld.sleep(300);
        assertTrue(cardsOf(instanceCode).isEmpty(), "no card for the unsubscribed definition");
        assertEquals(1, approvalDeliveries().size(), "only the subscribed instance's event was pushed");
        JsonNode listed = StreamSupport.stream(world.get("/approvals/instances").path("instances").spliterator(), false)
                .filter(i -> instanceCode.equals(i.path("instanceCode").asText())).findFirst().orElseThrow();
        assertEquals("REJECTED", listed.path("status").asText());
        assertTrue(StreamSupport.stream(listed.path("history").spliterator(), false).noneMatch(h -> h.path("pushed").asBoolean()));
    }

    @Test
    void deleting_a_definition_turns_its_pending_instances_deleted_on_their_cards() {
        world = SandboxWorld.start(dir);
        subscribeInTheGroup();
        String open = createInstance(CODE).path("instance").path("instanceCode").asText();
        String done = createInstance(CODE).path("instance").path("instanceCode").asText();
        String doneCard = awaitCard(done, "Approval: Pending").path("id").asText();
        String openCard = awaitCard(open, "Approval: Pending").path("id").asText();
        setStatus(done, "REJECTED");
        awaitCard(done, "Approval: Rejected");

        JsonNode r = world.post("/approvals/delete", JSON.createObjectNode().put("code", CODE));
        assertEquals(1, r.path("deleted").size(), r.toString());
        assertEquals(open, r.path("deleted").get(0).path("instanceCode").asText());
        assertTrue(r.path("deleted").get(0).path("pushed").asBoolean(), "reported while the app was still subscribed");

        assertEquals(openCard, awaitCard(open, "Approval: Deleted").path("id").asText());
        assertEquals("Approval: Rejected", title(cardsOf(done).get(0).path("card")), "a finished instance stays as it was");
        assertEquals(doneCard, cardsOf(done).get(0).path("id").asText());
        assertTrue(StreamSupport.stream(world.state().path("approvals").spliterator(), false)
                .noneMatch(a -> CODE.equals(a.path("code").asText())), "the definition is gone");
    }

    @Test
    void the_approval_api_refuses_what_the_platform_would_not_allow() {
        world = SandboxWorld.start(dir);
        String instanceCode = createInstance(CODE).path("instance").path("instanceCode").asText();
        assertEquals(400, world.raw("POST", "/playground/api/approvals/instances", "{\"code\":\"NO-SUCH-DEFINITION\"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/approvals/instances", "{\"code\":\"a b\"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/approvals/instances/status",
                "{\"instanceCode\":\"" + instanceCode + "\",\"status\":\"REVERTED\"}").statusCode(), "PENDING cannot be revoked");
        assertEquals(400, world.raw("POST", "/playground/api/approvals/instances/status",
                "{\"instanceCode\":\"" + instanceCode + "\",\"status\":\"EXPLODED\"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/approvals/instances/status",
                "{\"instanceCode\":\"NOPE\",\"status\":\"APPROVED\"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/approvals/delete", "{\"code\":\"NO-SUCH-DEFINITION\"}").statusCode());
        assertEquals(415, world.raw("POST", "/playground/api/approvals/instances", null).statusCode());
        assertEquals("PENDING", world.get("/approvals/instances").path("instances").get(0).path("status").asText());
    }
}
