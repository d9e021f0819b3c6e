package com.permissionbot.functional;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.sandbox.TenantState;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.CardJson;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pasted errors through real HTTP: encrypted, signed messages, the bot's real SDK client reading the live grant
 * status from the platform emulator, and an Apply from the diagnosis card through the real card callback.
 */
class DiagnoseFlowTest extends FunctionalTest {
    @Override
    String botConfig() {
        return "apply:\n  cooldown_seconds: 0\n";
    }

    /** What the emulator answers a user's own code that calls an approval API without the scope: the real 99991672 body. */
    private String real99991672() throws Exception {
        platform.tenant().setEnforceScopes(true);
        HttpClient http = HttpClient.newHttpClient();
        String auth = "{\"app_id\":\"" + platform.config().appId() + "\",\"app_secret\":\"" + platform.config().appSecret() + "\"}";
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(platform.baseUrl() + "/open-apis/auth/v3/tenant_access_token/internal"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(auth)).build(), HttpResponse.BodyHandlers.ofString());
        String t = BotHarness.json(token.body()).path("tenant_access_token").asText();
        HttpResponse<String> denied = http.send(HttpRequest.newBuilder(URI.create(platform.baseUrl() + "/open-apis/approval/v4/approvals/"
                        + TenantState.SAMPLE_APPROVAL_CODE + "/subscribe")).header("Authorization", "Bearer " + t)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, denied.statusCode());
        assertEquals(99991672, BotHarness.json(denied.body()).path("code").asInt(), denied.body());
        return denied.body();
    }

    @Test
    void a_real_99991672_is_diagnosed_against_the_live_status_and_apply_from_the_card_spends_one_application() throws Exception {
        String body = real99991672();
        SentMessage reply = bot.say(CHAT, "调用审批订阅接口的时候报错了：\n```\nHTTP/1.1 400 Bad Request\n" + body + "\n```");
        JsonNode card = reply.content();
        String text = card.toString();
        assertEquals("Error 99991672: the app lacks a scope", title(card));
        assertTrue(text.contains("Declared but not granted") && text.contains("approval&#58;approval"), text);
        assertTrue(text.contains("Not declared by the app"), text);
        assertTrue(text.contains("https://open.feishu.cn/app/" + platform.config().appId()
                + "/auth?q=approval%3Adefinition&op_from=openapi&token_type=tenant"), text);
        assertTrue(text.contains("0/10"), text);
        assertNotNull(CardJson.button(card, "apply"));

        JsonNode answer = bot.click(reply, "ou_alice", "apply");
        assertEquals("success", answer.path("toast").path("type").asText(), answer.toString());
        assertTrue(answer.path("card").path("data").toString().contains("1/10"), answer.toString());
        assertEquals(1, platform.appliesUsed());

        platform.tenant().grantPending();
        bot.clock.advance(Duration.ofSeconds(10));
        JsonNode after = bot.say(CHAT, body).content();
        assertTrue(after.toString().contains("Already granted"), after.toString());
        assertTrue(after.toString().contains("data range"), after.toString());
        assertNull(CardJson.button(after, "apply"), "nothing left to apply for among these scopes");
    }

    @Test
    void a_paste_in_a_group_with_a_mention_is_answered_in_its_thread() {
        SentMessage reply = bot.say("oc_group_1", "{\"code\":99991679,\"msg\":\"Unauthorized. ... required one of these privileges: "
                + "[calendar:calendar:readonly].应用未获取所需的用户授权：[calendar:calendar:readonly]\"}");
        assertEquals("Error 99991679: the user has not authorized a scope", title(reply.content()));
        assertNull(CardJson.button(reply.content(), "apply"));
    }

    @Test
    void a_dingtalk_paste_with_a_secret_is_answered_without_it_and_nothing_pasted_is_logged() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        SentMessage reply;
        try {
            reply = bot.say(CHAT, "<at id=all></at> ClientSecret=Zq8Yx7Wv6Ut5Sr4Qp3On2Ml1Kj0Ih9Gf8Ed7Cb6Aa5 "
                    + "{\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\",\"requestid\":\"e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9\","
                    + "\"message\":\"没有调用该接口的权限\",\"accessdenieddetail\":{\"requiredScopes\":[\"Contact.User.Read\"]}}");
        } finally {
            root.detachAppender(logs);
        }
        String text = reply.content().toString();
        assertEquals("DingTalk: no permission to call this API", title(reply.content()));
        assertTrue(text.contains("Contact.User.Read") && text.contains("e64a36ef"), text);
        assertFalse(text.contains("Yx7Wv6Ut5Sr4Qp3On2Ml1Kj0Ih9Gf8Ed7Cb6Aa5"), text);
        assertFalse(text.contains("<at"), text);
        for (ILoggingEvent e : logs.list) {
            assertFalse(e.getFormattedMessage().contains("Yx7Wv6Ut5Sr4"), e.getFormattedMessage());
            assertFalse(e.getFormattedMessage().contains("Contact.User.Read"), e.getFormattedMessage());
        }
    }

    @Test
    void a_user_token_with_an_underscore_is_masked_in_the_reply_and_in_the_stored_payload_alike() {
        String token = "u-3s_Kc3uYlAbCdEfGhIjKlMnOp";
        SentMessage reply = bot.say(CHAT, "调用 /open-apis/contact/v3/users/me 时带的是 " + token + "，报错 {\"code\":99991668}");
        String card = reply.content().toString();
        assertEquals("Token error 99991668", title(reply.content()), card);
        assertFalse(card.contains("Kc3uYlAbCdEfGhIjKlMnOp"), card);
        assertTrue(card.contains("Your paste shows a user_access_token"), "the masked token still tells its type: " + card);
        assertTrue(card.contains("Your paste contains secrets") && card.contains("token&#58; u&#45;3s&#95;"), "and is warned about: " + card);
        String stored = bot.app.store().inboxFind("msg:" + reply.parentId()).orElseThrow().payload();
        assertFalse(stored.contains("Kc3uYlAbCdEfGhIjKlMnOp"), stored);
        assertTrue(stored.contains("u-3s_…(masked)"), stored);
    }

    @Test
    void the_ordinary_commands_still_answer_as_before() {
        assertEquals("Permission bot", title(bot.say(CHAT, "help").content()));
        assertTrue(title(bot.say(CHAT, "missing permissions").content()).startsWith("Missing scopes"));
        assertEquals("Apply quota", title(bot.say(CHAT, "quota").content()));
        assertEquals("Permission status", title(bot.say(CHAT, "权限状态").content()));
    }
}
