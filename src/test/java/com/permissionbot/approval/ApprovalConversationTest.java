package com.permissionbot.approval;

import com.permissionbot.support.ChatScript;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.support.FakeGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static com.permissionbot.support.FakeGateway.fail;
import static com.permissionbot.support.FakeGateway.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The approval conversation of issue 5: each subscribe outcome, unsubscribe and the list, as scripts. */
class ApprovalConversationTest {
    static final String CODE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    static final String OTHER = "81D31358-93AF-92D6-7425-01A5D67C4E71";
    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    private static PlatformResult<Void> network() {
        return PlatformResult.network("SocketTimeoutException");
    }

    @ParameterizedTest
    @ValueSource(strings = {"subscribe approval " + CODE, "Subscribe to approval " + CODE, "订阅审批 " + CODE, "订阅审批" + CODE,
            "SUBSCRIBE APPROVAL " + CODE + "!", "订阅审批　７Ｃ４６８Ａ５４-8745-2245-9675-08B7C63E7A85"})
    void subscribing_in_either_language_subscribes_the_app_and_registers_the_chat(String said) {
        chat.user(said).repliesWith("approval_subscribed").showing(CODE).notShowing("1390007");
        assertEquals(List.of(CODE), chat.platform.subscribed, "the code is sent as typed, case kept");
        ApprovalSubscription s = chat.store.approvalSubscription(CODE, "oc_chat").orElseThrow();
        assertEquals("ou_alice", s.subscribedBy());
        assertEquals(chat.clock.instant(), s.subscribedAt());
        assertEquals(ChatScript.TENANT, s.tenantKey());
        AuditEntry a = chat.store.recentAudit(1).get(0);
        assertEquals(ApprovalService.ACTION_SUBSCRIBE, a.action());
        assertEquals(CODE, a.detail());
        assertEquals(0, a.code());
        assertEquals("log-ok", a.logId());
        assertEquals("oc_chat", a.chatId());
    }

    @Test
    void a_lower_case_code_in_a_mixed_message_keeps_its_case() {
        chat.user("subscribe approval abcDEF12-ghIJ").repliesWith("approval_subscribed");
        assertEquals(List.of("abcDEF12-ghIJ"), chat.platform.subscribed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"subscribe approval abc", "subscribe approval", "订阅审批", "subscribe approval 7C468A54 8745",
            "subscribe approval <at id=all></at>", "subscribe approval 7C468A54_8745_2245", "unsubscribe approval short",
            "取消订阅审批 ../../etc", "subscribe approval AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    void a_code_of_the_wrong_shape_explains_the_shape_and_calls_nothing(String said) {
        chat.user(said).repliesWith("approval_invalid_code").showing("8", "64", "7C468A54-8745-2245-9675-08B7C63E7A85")
                .notShowing("<at");
        assertEquals(0, chat.platform.subscribeCalls.get());
        assertEquals(0, chat.platform.unsubscribeCalls.get());
        assertTrue(chat.store.recentAudit(10).isEmpty(), "nothing happened, so nothing is audited");
    }

    @Test
    void an_existing_subscription_1390007_counts_as_success_for_the_chat() {
        chat.platform.subscribeAnswers(fail(1390007, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_subscribed").showing("1390007");
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isPresent());
        assertEquals(1390007, chat.store.recentAudit(1).get(0).code());
    }

    @Test
    void subscribing_again_from_the_same_chat_says_since_when_and_by_whom() {
        chat.user("subscribe approval " + CODE);
        chat.clock.advance(Duration.ofHours(3));
        chat.as("ou_bob").user("subscribe approval " + CODE).repliesWith("approval_subscribed")
                .showing("already subscribed", "2026-11-22 08:00 UTC", "ou_alice").notShowing("only this chat was added");
        assertEquals("ou_alice", chat.store.approvalSubscription(CODE, "oc_chat").orElseThrow().subscribedBy(),
                "the first registration is kept");
    }

    @Test
    void in_a_1_1_chat_the_chinese_cards_say_this_conversation_never_this_group() {
        chat.user("订阅审批 " + CODE).repliesWith("approval_subscribed").showing("都会在本会话发一张卡片").notShowing("本群");
        chat.user("订阅审批 " + CODE).repliesWith("approval_subscribed").showing("本会话之前已经订阅过").notShowing("本群");
        chat.user("审批订阅").repliesWith("approval_subscriptions").showing("本会话的审批订阅").notShowing("本群");
        chat.user("取消订阅审批 " + CODE).repliesWith("approval_unsubscribed").showing("本会话不再接收").notShowing("本群");
        chat.user("取消订阅审批 " + CODE).repliesWith("approval_not_subscribed").showing("本会话没有订阅").notShowing("本群");
        chat.user("帮助").repliesWith("help").showing("推送到本会话").notShowing("本群");
    }

    @Test
    void param_invalid_1390001_has_its_card_with_code_and_log_id() {
        chat.platform.subscribeAnswers(fail(1390001, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_param_invalid").showing("1390001", "log-1390001");
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isEmpty());
    }

    @Test
    void an_unknown_code_1390002_has_its_card_with_code_and_log_id() {
        chat.platform.subscribeAnswers(fail(1390002, 400));
        chat.user("订阅审批 " + CODE).repliesWith("approval_not_found").showing("1390002", "log-1390002", CODE);
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isEmpty());
        assertEquals(1390002, chat.store.recentAudit(1).get(0).code());
    }

    @Test
    void a_service_error_1395001_is_tried_four_times_then_reported() {
        chat.platform.subscribeAnswers(fail(1395001, 400), fail(1395001, 400), fail(1395001, 400), fail(1395001, 400), fail(1395001, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_service_error").showing("1395001", "log-1395001", "4 times");
        assertEquals(RetryPolicy.CALLS, chat.platform.subscribeCalls.get());
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isEmpty());
    }

    @Test
    void a_service_error_that_clears_on_a_retry_subscribes() {
        chat.platform.subscribeAnswers(fail(1395001, 400), ok(null));
        chat.user("subscribe approval " + CODE).repliesWith("approval_subscribed");
        assertEquals(2, chat.platform.subscribeCalls.get());
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isPresent());
    }

    @Test
    void a_missing_scope_99991672_is_a_diagnosis_with_the_apply_button_of_the_scope_cards() {
        chat.platform.scope("im:message", true).scope("approval:approval", false);
        chat.platform.subscribeAnswers(new PlatformResult<>(99991672, "Access denied. One of the following scopes is required: "
                + "[approval:approval, approval:definition].应用尚未开通所需的应用身份权限", "log-672", 400, null, null));
        chat.user("subscribe approval " + CODE).repliesWith("approval_missing_scope")
                .showing("99991672", "log-672", "approval:approval: declared, not granted", "approval:definition: not declared by the app",
                        "0/10", "1.0.0");
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isEmpty());
        chat.clicks("apply").cardBecomes("apply_success");
        assertEquals(1, chat.platform.applyCalls.get());
    }

    @Test
    void a_missing_scope_when_one_is_already_granted_points_elsewhere_and_offers_no_apply() {
        chat.platform.scope("approval:approval", true);
        chat.platform.subscribeAnswers(fail(99991672, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_missing_scope")
                .showing("approval:approval: granted", "already granted").notShowing("\"action\":\"apply\"");
    }

    @Test
    void a_missing_scope_the_app_never_declared_sends_to_the_developer_console() {
        chat.platform.scope("im:message", true);
        chat.platform.subscribeAnswers(fail(99991672, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_missing_scope")
                .showing("developer console", "approval:definition: not declared by the app").notShowing("\"action\":\"apply\"");
    }

    @Test
    void a_missing_scope_with_the_quota_used_up_offers_no_apply() {
        chat.platform.scope("approval:approval", false);
        for (int i = 0; i < 10; i++) chat.store.recordApplied(ChatScript.TENANT, "1.0.0", "ou_x", chat.clock.instant());
        chat.platform.subscribeAnswers(fail(99991672, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_missing_scope")
                .showing("All 10 applications").notShowing("\"action\":\"apply\"");
    }

    @Test
    void a_rate_limit_says_when_to_retry_and_is_not_retried_at_once() {
        chat.platform.subscribeAnswers(FakeGateway.rateLimited(Duration.ofMillis(29_100)));
        chat.user("subscribe approval " + CODE).repliesWith("approval_rate_limited").showing("30 seconds", "99991400", "log-429");
        assertEquals(1, chat.platform.subscribeCalls.get());
        chat.platform.subscribeAnswers(new PlatformResult<>(99991400, "limit", "log-429b", 429, null, null));
        chat.user("subscribe approval " + CODE).repliesWith("approval_rate_limited").showing("about a minute", "log-429b");
    }

    @Test
    void no_answer_four_times_says_it_is_unknown_and_safe_to_repeat() {
        chat.platform.subscribeAnswers(network(), network(), network(), network());
        chat.user("subscribe approval " + CODE).repliesWith("approval_failed").showing("did not answer", "4 tries", "-1");
        assertEquals(RetryPolicy.CALLS, chat.platform.subscribeCalls.get());
    }

    @Test
    void a_subscription_existed_answer_after_a_call_that_got_no_answer_counts_as_subscribing_now() {
        chat.platform.subscribeAnswers(network(), fail(ApprovalService.CODE_SUBSCRIPTION_EXISTED, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_subscribed").notShowing("1390007");
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isPresent());
    }

    @Test
    void any_other_code_is_reported_with_code_and_log_id() {
        chat.platform.subscribeAnswers(fail(99991663, 400));
        chat.user("subscribe approval " + CODE).repliesWith("approval_failed").showing("99991663", "log-99991663", "code 99991663");
    }

    @Test
    void unsubscribing_turns_the_app_off_only_when_the_last_chat_leaves() {
        chat.in("oc_one").user("subscribe approval " + CODE);
        chat.in("oc_two").as("ou_bob").user("subscribe approval " + CODE);
        assertEquals(2, chat.store.approvalSubscribers(CODE).size());

        chat.in("oc_one").user("unsubscribe approval " + CODE).repliesWith("approval_unsubscribed").showing("1 other chat");
        assertEquals(0, chat.platform.unsubscribeCalls.get());
        assertEquals(List.of(CODE), chat.platform.subscribed);
        AuditEntry kept = chat.store.recentAudit(1).get(0);
        assertEquals(ApprovalService.ACTION_UNSUBSCRIBE, kept.action());
        assertNull(kept.code(), "no platform call, no platform code");

        chat.in("oc_two").user("取消订阅审批 " + CODE).repliesWith("approval_unsubscribed").showing("turned off too");
        assertEquals(1, chat.platform.unsubscribeCalls.get());
        assertTrue(chat.platform.subscribed.isEmpty());
        AuditEntry off = chat.store.recentAudit(1).get(0);
        assertEquals(ApprovalService.ACTION_UNSUBSCRIBE, off.action());
        assertEquals(CODE, off.detail());
        assertEquals(0, off.code());
        assertEquals("ou_bob", off.actor());
        assertTrue(chat.store.approvalSubscribers(CODE).isEmpty());
    }

    @Test
    void unsubscribing_a_code_this_chat_does_not_follow_changes_nothing() {
        chat.in("oc_other").user("subscribe approval " + CODE);
        chat.in("oc_chat").user("unsubscribe approval " + CODE).repliesWith("approval_not_subscribed").showing(CODE);
        assertEquals(0, chat.platform.unsubscribeCalls.get());
        assertEquals(1, chat.store.approvalSubscribers(CODE).size());
    }

    @Test
    void a_code_from_bot_config_stays_subscribed_on_the_platform() {
        try (ChatScript configured = new ChatScript(dir, "approval:\n  subscribe: [" + CODE + "]\n")) {
            configured.user("subscribe approval " + CODE);
            configured.user("unsubscribe approval " + CODE).repliesWith("approval_unsubscribed").showing("bot-config.yaml");
            assertEquals(0, configured.platform.unsubscribeCalls.get());
        }
    }

    @Test
    void a_failed_platform_unsubscribe_still_removes_the_chat_and_shows_code_and_log_id() {
        chat.user("subscribe approval " + CODE);
        chat.platform.unsubscribeAnswers(fail(1395001, 400), fail(1395001, 400), fail(1395001, 400), fail(1395001, 400));
        chat.user("unsubscribe approval " + CODE).repliesWith("approval_unsubscribed").showing("1395001", "log-1395001", "failed");
        assertEquals(RetryPolicy.CALLS, chat.platform.unsubscribeCalls.get());
        assertTrue(chat.store.approvalSubscription(CODE, "oc_chat").isEmpty());
    }

    @Test
    void an_already_unsubscribed_app_1390007_is_fine() {
        chat.user("subscribe approval " + CODE);
        chat.platform.unsubscribeAnswers(fail(1390007, 400));
        chat.user("unsubscribe approval " + CODE).repliesWith("approval_unsubscribed").showing("turned off too").notShowing("1390007");
    }

    @Test
    void the_list_shows_this_chats_subscriptions_with_when_and_by_whom() {
        chat.user("approval subscriptions").repliesWith("approval_subscriptions").showing("follows no approval");
        chat.user("subscribe approval " + CODE);
        chat.clock.advance(Duration.ofMinutes(90));
        chat.as("ou_bob").user("订阅审批 " + OTHER);
        chat.in("oc_elsewhere").user("subscribe approval 11111111-2222");
        chat.in("oc_chat").user("审批订阅").repliesWith("approval_subscriptions")
                .showing(CODE, OTHER, "ou_alice", "ou_bob", "2026-11-22 16:00（北京时间）", "2026-11-22 09:30 UTC")
                .notShowing("11111111-2222");
    }

    @Test
    void codes_in_bot_config_are_subscribed_at_start_up_idempotently_without_a_chat() {
        try (ChatScript configured = new ChatScript(dir, "approval:\n  subscribe: [" + CODE + ", " + OTHER + "]\n")) {
            List<SubscribeOutcome> first = configured.bot.approvals.subscribeConfigured();
            assertEquals(List.of(SubscribeOutcome.Kind.SUBSCRIBED, SubscribeOutcome.Kind.SUBSCRIBED),
                    first.stream().map(SubscribeOutcome::kind).toList());
            List<SubscribeOutcome> again = configured.bot.approvals.subscribeConfigured();
            assertEquals(SubscribeOutcome.Kind.ALREADY_SUBSCRIBED, again.get(0).kind());
            assertEquals(4, configured.platform.subscribeCalls.get());
            assertTrue(configured.store.approvalSubscribers(CODE).isEmpty(), "no chat is registered");
            AuditEntry a = configured.store.recentAudit(1).get(0);
            assertEquals(ApprovalService.CONFIG_ACTOR, a.actor());
            assertNull(a.chatId());
        }
    }
}
