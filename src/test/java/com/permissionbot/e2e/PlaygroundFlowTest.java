package com.permissionbot.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.sandbox.Playground;
import com.permissionbot.sandbox.SandboxPlatform;
import com.permissionbot.support.BotHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;

import static com.permissionbot.e2e.SandboxWorld.JSON;
import static com.permissionbot.e2e.SandboxWorld.title;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sandbox end to end, as a newcomer uses it: the bot started as {@code Main} starts it without FEISHU_APP_ID,
 * messages and clicks pushed through the bot's real webhook by the playground API, the admin acting in the tenant.
 */
class PlaygroundFlowTest {
    @TempDir
    Path dir;
    SandboxWorld world;

    @AfterEach
    void stop() {
        if (world != null) world.close();
    }

    private JsonNode ask(String chat, String text) {
        JsonNode sent = world.say("p2p", text, false);
        return world.replyTo(chat, sent.path("messageId").asText());
    }

    /** Asks until the answer is the expected card (in sandbox mode the bot caches the grant status for a few seconds). */
    private JsonNode askUntil(String chat, String text, String expectedTitle) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode reply;
        do {
            reply = ask(chat, text);
            if (expectedTitle.equals(title(reply.path("card")))) return reply;
            SandboxWorld.sleep(1_000);
        } while (System.nanoTime() < end);
        throw new AssertionError("expected '" + expectedTitle + "', the bot keeps answering " + reply);
    }

    @Test
    void missing_then_apply_then_the_admin_grants_then_nothing_is_missing() {
        world = SandboxWorld.start(dir);
        String chat = world.p2pChat();
        assertEquals(Duration.ofSeconds(5), world.app.config().follow().scopesCache(), "the admin pane's grants show within seconds");

        JsonNode missing = ask(chat, "missing permissions");
        JsonNode card = missing.path("card");
        assertEquals("Missing scopes: 4", title(card), card.toString());
        assertTrue(card.toString().contains("contact&#58;user.base&#58;readonly"), card.toString());
        JsonNode apply = SandboxWorld.button(card, "apply").orElseThrow(() -> new AssertionError("no Apply button: " + card));

        ObjectNode click = JSON.createObjectNode().put("messageId", missing.path("id").asText()).put("user", SandboxWorld.ALICE);
        click.set("value", apply);
        JsonNode answer = world.post("/click", click);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        assertEquals("Request sent to the admin", title(answer.path("card")));
        assertTrue(answer.path("card").toString().contains("1/10"), answer.toString());
        assertTrue(answer.path("cardApplied").asBoolean());
        JsonNode shown = world.await(chat, m -> m.path("id").asText().equals(missing.path("id").asText()), Duration.ofSeconds(1)).orElseThrow();
        assertEquals("Request sent to the admin", title(shown.path("card")), "the chat shows the card's current content");

        JsonNode state = world.state();
        assertTrue(state.path("application").path("pending").asBoolean(), state.toString());
        assertEquals(3, state.path("application").path("scopes").size());
        assertEquals(1, state.path("quota").path("used").asInt());

        world.post("/application/grant", JSON.createObjectNode());
        assertFalse(world.state().path("application").path("pending").asBoolean());
        JsonNode onlySuper = askUntil(chat, "missing permissions", "Missing scopes: 1");
        assertTrue(onlySuper.path("card").toString().contains("contact&#58;user.phone&#58;readonly"));

        world.post("/scopes/grant", JSON.createObjectNode().put("scope", "contact:user.phone:readonly"));
        JsonNode allGranted = askUntil(chat, "missing permissions", "All scopes granted");
        assertTrue(SandboxWorld.button(allGranted.path("card"), "apply").isEmpty());
    }

    @Test
    void a_reason_submitted_with_the_form_shows_in_the_admins_chat() {
        world = SandboxWorld.start(dir);
        JsonNode admins = world.state().path("admins");
        assertEquals(Playground.ADMINS_CHAT_ID, admins.path("chatId").asText(), "sandbox mode seeds the admins' chat as the ops chat");
        JsonNode missing = ask(world.p2pChat(), "missing permissions");
        ObjectNode click = JSON.createObjectNode().put("messageId", missing.path("id").asText()).put("user", SandboxWorld.ALICE)
                .put("name", "apply");
        click.set("value", SandboxWorld.button(missing.path("card"), "apply").orElseThrow());
        click.putObject("formValue").put("reason", "for the leave sync <at id=all></at>");
        JsonNode answer = world.post("/click", click);
        assertTrue(answer.path("card").toString().contains("for the leave sync &#60;at id=all&#62;"), answer.toString());

        JsonNode request = world.await(Playground.ADMINS_CHAT_ID, m -> "Permission request".equals(title(m.path("card"))),
                Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no request card in the admins' chat"));
        assertTrue(request.path("card").toString().contains("for the leave sync &#60;at id=all&#62;"), request.toString());

        click.set("formValue", JSON.createObjectNode().putArray("reason"));
        assertEquals(400, world.raw("POST", "/playground/api/click", click.toString()).statusCode(), "inputs are texts");
    }

    private JsonNode clickApply(JsonNode message) {
        ObjectNode click = JSON.createObjectNode().put("messageId", message.path("id").asText()).put("user", SandboxWorld.ALICE);
        click.set("value", SandboxWorld.button(message.path("card"), "apply").orElseThrow());
        return world.post("/click", click);
    }

    @Test
    void a_slow_apply_answers_working_and_the_chat_then_shows_the_patched_outcome() {
        world = SandboxWorld.start(dir);
        String chat = world.p2pChat();
        world.post("/faults", JSON.createObjectNode().put("action", "latency").put("ms", 3000));
        JsonNode missing = ask(chat, "missing permissions");

        JsonNode answer = clickApply(missing);
        assertTrue(answer.path("ok").asBoolean(), "answered within the 3 s deadline: " + answer);
        assertEquals("Asking Feishu…", title(answer.path("card")));
        JsonNode patched = world.await(chat, m -> m.path("id").asText().equals(missing.path("id").asText())
                && "Request sent to the admin".equals(title(m.path("card"))), Duration.ofSeconds(10)).orElseThrow(
                () -> new AssertionError("the card was not updated: " + world.get("/messages?chat=" + chat)));
        assertTrue(patched.path("updated").asBoolean());
    }

    @Test
    void a_rate_limited_apply_shows_the_platform_code_and_spends_no_quota() {
        world = SandboxWorld.start(dir);
        String chat = world.p2pChat();
        world.post("/faults", JSON.createObjectNode().put("action", "429").put("target", "apply").put("times", 5).put("resetSeconds", 30));
        JsonNode answer = clickApply(ask(chat, "missing permissions"));
        assertEquals("Too many requests", title(answer.path("card")), answer.toString());
        assertTrue(answer.path("card").toString().contains("99991400"));
        assertEquals(0, world.state().path("quota").path("used").asInt());
    }

    @Test
    void in_the_group_the_bot_answers_only_messages_that_mention_it() {
        world = SandboxWorld.start(dir);
        String group = Playground.GROUP_CHAT_ID;

        JsonNode silent = world.say("group", "quota", false);
        JsonNode mentioned = world.say("group", "quota", true);
        JsonNode reply = world.replyTo(group, mentioned.path("messageId").asText());
        assertEquals("bot", reply.path("from").asText());
        SandboxWorld.sleep(500);
        JsonNode messages = world.get("/messages?chat=" + group).path("messages");
        assertTrue(StreamSupport.stream(messages.spliterator(), false)
                .noneMatch(m -> silent.path("messageId").asText().equals(m.path("parentId").asText())), messages.toString());
        assertTrue(messages.toString().contains("@Permission Bot quota"), "the mention is shown by name: " + messages);
    }

    @Test
    void adding_the_bot_to_the_group_gets_the_welcome_card() {
        world = SandboxWorld.start(dir);
        JsonNode r = world.post("/group/add-bot", JSON.createObjectNode().put("user", SandboxWorld.ALICE));
        assertEquals(200, r.path("delivery").path("status").asInt());
        assertTrue(world.await(Playground.GROUP_CHAT_ID, m -> m.has("card"), Duration.ofSeconds(10)).isPresent());
        assertTrue(world.state().path("group").path("botAdded").asBoolean());
    }

    @Test
    void adding_the_bot_to_the_same_group_again_posts_no_second_welcome() {
        world = SandboxWorld.start(dir);
        world.post("/group/add-bot", JSON.createObjectNode().put("user", SandboxWorld.ALICE));
        world.await(Playground.GROUP_CHAT_ID, m -> m.has("card"), Duration.ofSeconds(10)).orElseThrow();

        HttpResponse<String> again = world.raw("POST", "/playground/api/group/add-bot", "{\"user\":\"ou_bob\"}");
        assertEquals(400, again.statusCode(), again.body());
        assertTrue(again.body().contains("already a member of " + Playground.GROUP_NAME), again.body());
        long addedEvents = StreamSupport.stream(world.state().path("deliveries").spliterator(), false)
                .filter(d -> "im.chat.member.bot.added_v1".equals(d.path("type").asText())).count();
        assertEquals(1, addedEvents, "no second bot-added event was pushed");
        long cards = StreamSupport.stream(world.get("/messages?chat=" + Playground.GROUP_CHAT_ID).path("messages").spliterator(), false)
                .filter(m -> m.has("card")).count();
        assertEquals(1, cards, "one welcome card");
    }

    @Test
    void with_duplicate_deliveries_on_the_bot_still_answers_once() {
        world = SandboxWorld.start(dir);
        world.post("/faults", JSON.createObjectNode().put("action", "duplicates").put("on", true));
        String chat = world.p2pChat();
        String mid = world.say("p2p", "quota", false).path("messageId").asText();
        world.replyTo(chat, mid);

        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<JsonNode> deliveries;
        do {
            SandboxWorld.sleep(100);
            deliveries = StreamSupport.stream(world.state().path("deliveries").spliterator(), false)
                    .filter(d -> mid.equals(d.path("messageId").asText())).toList();
        } while ((deliveries.size() < 3 || !deliveries.stream().allMatch(d -> d.path("delivered").asBoolean()))
                && System.nanoTime() < end);
        assertEquals(3, deliveries.size(), deliveries.toString());
        assertTrue(deliveries.stream().allMatch(d -> d.path("delivered").asBoolean()), "the bot acknowledged every copy");
        // every copy that was stored has been handled (and any reply it caused sent) before the replies are counted
        long settle = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((world.app.store().inboxDepth() > 0 || world.app.store().outboxDepth() > 0) && System.nanoTime() < settle) SandboxWorld.sleep(20);
        assertEquals(0, world.app.store().inboxDepth() + world.app.store().outboxDepth(), "settled");
        long replies = StreamSupport.stream(world.get("/messages?chat=" + chat).path("messages").spliterator(), false)
                .filter(m -> mid.equals(m.path("parentId").asText())).count();
        assertEquals(1, replies);
    }

    @Test
    void the_admin_api_changes_the_tenant_and_refuses_bad_input() {
        world = SandboxWorld.start(dir);
        JsonNode published = world.post("/versions/publish", JSON.createObjectNode());
        assertEquals("1.0.1", published.path("version").asText());
        assertEquals("1.0.1", world.state().path("quota").path("version").asText());
        world.post("/quota", JSON.createObjectNode().put("used", 10));
        assertEquals(10, world.state().path("quota").path("used").asInt());
        world.post("/approvals", JSON.createObjectNode().put("code", "LEAVE-2026"));
        assertTrue(world.state().path("approvals").toString().contains("LEAVE-2026"));
        world.post("/faults", JSON.createObjectNode().put("action", "429").put("target", "apply").put("times", 2).put("resetSeconds", 7));
        world.post("/faults", JSON.createObjectNode().put("action", "latency").put("ms", 2500));
        JsonNode faults = world.state().path("faults");
        assertEquals(429, faults.path("failures").get(0).path("status").asInt());
        assertEquals(2500, faults.path("delays").path("/open-apis/application/v6/scopes/apply").asInt());
        world.post("/faults", JSON.createObjectNode().put("action", "clear"));
        assertEquals(0, world.state().path("faults").path("failures").size());

        assertEquals(400, world.raw("POST", "/playground/api/scopes/grant", "{\"scope\":\"no:such\"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/application/grant", "{}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/send", "{\"text\":\"  \"}").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/send", "not json").statusCode());
        assertEquals(400, world.raw("POST", "/playground/api/faults", "{\"action\":\"explode\"}").statusCode());
        assertEquals(415, world.raw("POST", "/playground/api/quota", null).statusCode(), "only JSON bodies: no cross-site forms");
    }

    @Test
    void the_page_is_one_self_contained_file_that_never_writes_card_text_as_html() {
        world = SandboxWorld.start(dir);
        HttpResponse<String> page = world.raw("GET", "/playground", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String html = page.body();
        assertTrue(html.contains("id=\"composer-input\""));
        assertFalse(html.contains("://"), "no external address (CDN, fonts) in the page");
        assertFalse(html.contains("<script src") || html.contains("stylesheet"), "no external scripts or stylesheets");
        assertFalse(html.contains("innerHTML") || html.contains("insertAdjacentHTML") || html.contains("document.write"));
    }

    @Test
    void starting_in_sandbox_mode_logs_the_playground_address() {
        Logger logger = (Logger) LoggerFactory.getLogger(SandboxPlatform.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            world = SandboxWorld.start(dir);
            String expected = "Playground: http://localhost:" + world.app.port() + "/playground";
            assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().equals(expected)),
                    logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList().toString());
            assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains("did not answer the URL check")));
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void in_real_mode_there_is_no_playground() {
        try (BotHarness real = BotHarness.start(dir)) {
            assertEquals(404, real.get("/playground").statusCode());
            assertEquals(404, real.get("/playground/api/state").statusCode());
        }
    }
}
