package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.Events;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static com.permissionbot.support.BotHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The webhook edge through real HTTP, with requests encrypted and signed as the platform does. */
class WebhookEdgeTest {
    @TempDir
    static Path dir;
    static BotHarness bot;
    static final AtomicInteger echoes = new AtomicInteger();

    @BeforeAll
    static void start() {
        bot = BotHarness.start(dir);
        bot.app.bot().registry.action("test_echo", click -> {
            echoes.incrementAndGet();
            return CardAnswer.toast("success", "好的 " + click.value().get("n"), "ok " + click.value().get("n"));
        });
    }

    @AfterAll
    static void stop() {
        bot.close();
    }

    @BeforeEach
    void clear() {
        bot.platform.clearMessages();
    }

    private static List<SentMessage> quietly() {
        BotHarness.sleep(400);
        return bot.platform.messages();
    }

    private static long rows() {
        return bot.app.store().recentAudit(1).size() + bot.app.store().inboxDepth();
    }

    @Test
    void encrypted_challenge_is_answered_in_plain_json() {
        HttpResponse<String> r = bot.push("/webhook/event", Events.challenge(BotHarness.TOKEN, "ch-123"));
        assertEquals(200, r.statusCode());
        assertEquals("ch-123", json(r.body()).path("challenge").asText());
    }

    @Test
    void challenge_with_a_wrong_token_is_refused() {
        assertEquals(403, bot.push("/webhook/event", Events.challenge("not-the-token", "ch-1")).statusCode());
    }

    @Test
    void help_in_a_p2p_chat_gets_the_help_card_as_a_reply() {
        String mid = bot.userMessage("oc_p2p_alice");
        assertEquals(200, bot.push("/webhook/event", Events.p2p("ev-help-1", mid, "help")).statusCode());
        SentMessage reply = bot.awaitMessages(m -> !m.isEmpty()).get(0);
        assertEquals(SentMessage.Kind.REPLY, reply.kind());
        assertEquals(mid, reply.parentId());
        assertEquals("interactive", reply.msgType());
        JsonNode title = reply.content().path("header").path("title").path("i18n_content");
        assertEquals("权限助手", title.path("zh_cn").asText());
        assertEquals("Permission bot", title.path("en_us").asText());
    }

    @Test
    void chinese_help_and_unknown_text_get_the_help_card_too() {
        bot.push("/webhook/event", Events.p2p("ev-help-2", bot.userMessage("oc_p2p_alice"), "帮助"));
        bot.push("/webhook/event", Events.p2p("ev-help-3", bot.userMessage("oc_p2p_alice"), "what is the weather"));
        List<SentMessage> m = bot.awaitMessages(x -> x.size() >= 2);
        assertTrue(m.stream().allMatch(s -> s.content().path("header").path("template").asText().equals("blue")));
    }

    @Test
    void the_same_message_again_or_under_a_new_event_id_is_answered_once() {
        String mid = bot.userMessage("oc_p2p_alice");
        String event = Events.p2p("ev-dup-1", mid, "help");
        assertEquals(200, bot.push("/webhook/event", event).statusCode());
        assertEquals(200, bot.push("/webhook/event", event).statusCode());
        assertEquals(200, bot.push("/webhook/event", Events.p2p("ev-dup-2", mid, "help")).statusCode());
        bot.awaitMessages(m -> !m.isEmpty());
        assertEquals(1, quietly().size());
    }

    @Test
    void a_forged_signature_is_401_and_has_no_effect() {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, Events.p2p("ev-forged", "om_forged", "help")) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = bot.post("/webhook/event", body, Map.of("X-Lark-Request-Timestamp", "1700000000",
                "X-Lark-Request-Nonce", "n", "X-Lark-Signature", "0".repeat(64)));
        assertEquals(401, r.statusCode());
        assertTrue(bot.app.store().inboxFind("msg:om_forged").isEmpty());
        assertTrue(quietly().isEmpty());
    }

    @Test
    void an_unsigned_encrypted_event_is_401() {
        byte[] body = ("{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, Events.p2p("ev-unsigned", "om_unsigned", "help")) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(401, bot.post("/webhook/event", body, Map.of()).statusCode());
        assertTrue(bot.app.store().inboxFind("msg:om_unsigned").isEmpty());
    }

    @Test
    void a_wrong_verification_token_is_403_and_has_no_effect() {
        String event = Events.withToken(Events.p2p("ev-badtoken", "om_badtoken", "help"), "stolen");
        assertEquals(403, bot.push("/webhook/event", event).statusCode());
        assertTrue(bot.app.store().inboxFind("msg:om_badtoken").isEmpty());
        assertTrue(quietly().isEmpty());
    }

    @Test
    void plaintext_when_a_key_is_set_is_400() {
        byte[] body = Events.p2p("ev-plain", "om_plain", "help").getBytes(StandardCharsets.UTF_8);
        assertEquals(400, bot.postSigned("/webhook/event", body).statusCode());
        assertTrue(bot.app.store().inboxFind("msg:om_plain").isEmpty());
    }

    @Test
    void garbage_and_undecryptable_bodies_are_400() {
        assertEquals(400, bot.postSigned("/webhook/event", new byte[]{(byte) 0xff, 0x00, 0x13}).statusCode());
        assertEquals(400, bot.postSigned("/webhook/event", "[1,2]".getBytes()).statusCode());
        assertEquals(400, bot.postSigned("/webhook/event", "{\"encrypt\":\"!!not base64!!\"}".getBytes()).statusCode());
        assertEquals(400, bot.postSigned("/webhook/event", "{\"encrypt\":\"AAECAwQFBgcICQoLDA0ODw==\"}".getBytes()).statusCode());
        String notJson = "{\"encrypt\":\"" + PlatformCrypto.encrypt(BotHarness.KEY, "hello world") + "\"}";
        assertEquals(400, bot.postSigned("/webhook/event", notJson.getBytes()).statusCode());
        assertEquals(200, bot.get("/healthz").statusCode());
    }

    @Test
    void an_oversized_body_is_413() {
        byte[] big = new byte[(1 << 20) + 1];
        java.util.Arrays.fill(big, (byte) 'a');
        assertEquals(413, bot.postSigned("/webhook/event", big).statusCode());
        assertEquals(413, bot.postSigned("/webhook/card", big).statusCode());
    }

    @Test
    void an_event_type_the_bot_does_not_handle_is_acknowledged_and_dropped() {
        String other = Events.p2p("ev-other", "om_other", "help").replace("im.message.receive_v1", "contact.user.created_v3");
        assertEquals(200, bot.push("/webhook/event", other).statusCode());
        assertTrue(bot.app.store().inboxFind("event:ev-other").isEmpty());
        assertTrue(quietly().isEmpty());
    }

    @Test
    void a_group_message_is_answered_only_when_it_mentions_the_bot() {
        String g3 = bot.userMessage("oc_group_1");
        bot.push("/webhook/event", Events.group("ev-g1", bot.userMessage("oc_group_1"), "help", null));
        bot.push("/webhook/event", Events.group("ev-g2", bot.userMessage("oc_group_1"), "@_user_1 help", "ou_someone_else"));
        bot.push("/webhook/event", Events.group("ev-g3", g3, "@_user_1 help", bot.platform.config().botOpenId()));
        List<SentMessage> m = bot.awaitMessages(x -> !x.isEmpty());
        BotHarness.sleep(400);
        assertEquals(1, bot.platform.messages().size());
        assertEquals(g3, m.get(0).parentId());
    }

    @Test
    void being_added_to_a_group_sends_a_welcome_card_with_the_name_escaped() {
        bot.push("/webhook/event", Events.botAdded("ev-added-1", "oc_new_group", "Team <at id=all></at> [x](https://evil)"));
        SentMessage sent = bot.awaitMessages(m -> !m.isEmpty()).get(0);
        assertEquals(SentMessage.Kind.SEND, sent.kind());
        assertEquals("oc_new_group", sent.chatId());
        String text = sent.content().toString();
        assertTrue(text.contains("&#60;at id=all&#62;&#60;&#47;at&#62;"), text);
        assertTrue(!text.contains("<at") && !text.contains("](https"), text);
    }

    @Test
    void a_double_click_runs_the_action_once_and_both_get_an_answer() {
        int before = echoes.get();
        HttpResponse<String> first = bot.push("/webhook/card", Events.click("ev-c1", "om_card_1", "ou_alice", "action", "test_echo", "n", "1"));
        HttpResponse<String> second = bot.push("/webhook/card", Events.click("ev-c2", "om_card_1", "ou_alice", "action", "test_echo", "n", "1"));
        assertEquals(200, first.statusCode());
        assertEquals(200, second.statusCode());
        assertEquals("ok 1", json(first.body()).path("toast").path("i18n").path("en_us").asText());
        assertEquals("This click was already handled.", json(second.body()).path("toast").path("i18n").path("en_us").asText());
        assertEquals(before + 1, echoes.get());
        bot.push("/webhook/event", Events.click("ev-c3", "om_card_1", "ou_bob", "action", "test_echo", "n", "1"));
        assertEquals(before + 2, echoes.get(), "another operator's click is its own action");
    }

    @Test
    void a_click_with_a_wrong_token_is_refused() {
        String click = Events.withToken(Events.click("ev-c9", "om_card_9", "ou_alice", "action", "test_echo", "n", "9"), "nope");
        int before = echoes.get();
        assertEquals(403, bot.push("/webhook/card", click).statusCode());
        assertEquals(before, echoes.get());
    }

    @Test
    void legacy_card_callbacks_are_checked_with_the_sha1_signature() {
        byte[] body = ("{\"open_id\":\"ou_alice\",\"open_message_id\":\"om_legacy_1\",\"tenant_key\":\"tenant_sandbox\","
                + "\"token\":\"c-x\",\"action\":{\"value\":{\"action\":\"test_echo\",\"n\":\"7\"},\"tag\":\"button\"}}")
                .getBytes(StandardCharsets.UTF_8);
        int before = echoes.get();
        String ts = String.valueOf(System.currentTimeMillis() / 1000), nonce = "abc";
        HttpResponse<String> forged = bot.post("/webhook/card", body, Map.of("X-Lark-Request-Timestamp", ts,
                "X-Lark-Request-Nonce", nonce, "X-Lark-Signature", "0".repeat(40)));
        assertEquals(401, forged.statusCode());
        HttpResponse<String> ok = bot.post("/webhook/card", body, Map.of("X-Lark-Request-Timestamp", ts,
                "X-Lark-Request-Nonce", nonce, "X-Lark-Signature", PlatformCrypto.signLegacy(ts, nonce, BotHarness.TOKEN, body)));
        assertEquals(200, ok.statusCode());
        assertEquals("ok 7", json(ok.body()).path("toast").path("i18n").path("en_us").asText());
        assertEquals(before + 1, echoes.get());
    }

    @Test
    void metrics_show_events_rejections_and_ack_latency_in_prometheus_text() {
        bot.push("/webhook/event", Events.p2p("ev-metrics-1", bot.userMessage("oc_p2p_alice"), "help"));
        bot.post("/webhook/event", "{\"encrypt\":\"x\"}".getBytes(), Map.of("X-Lark-Request-Timestamp", "1",
                "X-Lark-Request-Nonce", "n", "X-Lark-Signature", "0".repeat(64)));
        bot.awaitMessages(m -> !m.isEmpty());
        HttpResponse<String> r = bot.get("/metrics");
        assertEquals(200, r.statusCode());
        String text = r.body();
        for (String metric : List.of("bot_events_received_total{type=\"im.message.receive_v1\"}",
                "bot_requests_rejected_total{reason=\"signature\"}", "bot_ack_seconds_count", "bot_inbox_depth",
                "bot_platform_calls_seconds_count{api=\"im.reply\"}")) {
            assertTrue(text.contains(metric), metric + " missing from /metrics");
        }
    }

    @Test
    void a_secret_pasted_into_a_message_is_not_kept_in_the_inbox() {
        String mid = bot.userMessage("oc_p2p_alice");
        bot.push("/webhook/event", Events.p2p("ev-secret-1", mid, "my app_secret: Abcd1234Efgh5678Ijkl and Bearer t-g1044ghJkLmNoPqRsTuVwXyZ0123"));
        bot.awaitMessages(m -> !m.isEmpty());
        String stored = bot.app.store().inboxFind("msg:" + mid).orElseThrow().payload();
        assertTrue(!stored.contains("Abcd1234Efgh5678Ijkl") && !stored.contains("g1044ghJkLmNoPqRsTuVwXyZ0123"), stored);
        BotHarness.json(stored);
    }

    @Test
    void a_bare_user_token_with_an_underscore_is_not_kept_in_the_inbox_either() {
        String mid = bot.userMessage("oc_p2p_alice");
        bot.push("/webhook/event", Events.p2p("ev-secret-2", mid, "this one: u-3s_Kc3uYlAbCdEfGhIjKlMnOp"));
        bot.awaitMessages(m -> !m.isEmpty());
        String stored = bot.app.store().inboxFind("msg:" + mid).orElseThrow().payload();
        assertTrue(!stored.contains("Kc3uYlAbCdEfGhIjKlMnOp") && stored.contains("u-3s_…(masked)"), stored);
    }

    @Test
    void healthz_reports_ok() {
        HttpResponse<String> r = bot.get("/healthz");
        assertEquals(200, r.statusCode());
        assertEquals("ok", json(r.body()).path("status").asText());
    }
}
