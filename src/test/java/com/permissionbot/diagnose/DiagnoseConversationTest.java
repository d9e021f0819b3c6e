package com.permissionbot.diagnose;

import com.permissionbot.support.ChatScript;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.support.FakeGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Pasted errors as scripts: the user pastes an error, the bot diagnoses it against the live grant status. */
class DiagnoseConversationTest {
    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir);
        chat.platform.scope("im:message", true).scope("contact:user.base:readonly", false).scope("approval:approval", false);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    static String feishu672(String... scopes) {
        String list = String.join(", ", scopes);
        StringBuilder pv = new StringBuilder();
        for (String s : scopes) pv.append(pv.length() == 0 ? "" : ",").append("{\"type\":\"action_scope_required\",\"subject\":\"").append(s).append("\"}");
        return "```\n{\"code\":99991672,\"msg\":\"Access denied. One of the following scopes is required: [" + list + "].应用尚未开通所需的应用身份权限：["
                + list + "]\",\"error\":{\"log_id\":\"20250314173000C5A4E1B2D3F4A5B6C7\",\"permission_violations\":[" + pv + "]}}\n```";
    }

    @Test
    void a_declared_but_ungranted_scope_offers_apply_and_the_click_spends_one_application() {
        chat.user(feishu672("contact:user.base:readonly")).repliesWith("diagnose_feishu_scope")
                .showing("Declared but not granted", "contact:user.base:readonly", "0/10", "1.0.0", "20250314173000C5A4E1B2D3F4A5B6C7")
                .withButton("apply")
                .clicks("apply").cardBecomes("apply_success");
        assertEquals(1, chat.platform.applyCalls.get());
        chat.user("quota").repliesWith("quota").showing("1/10");
    }

    @Test
    void scopes_the_app_never_declared_get_a_console_link_for_exactly_those_scopes_and_no_apply() {
        chat.user(feishu672("contact:user.id:readonly", "contact:user.employee_id:readonly")).repliesWith("diagnose_feishu_scope")
                .showing("Not declared by the app",
                        "https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=contact%3Auser.id%3Areadonly,contact%3Auser.employee_id%3Areadonly"
                                + "&op_from=openapi&token_type=tenant")
                .withoutButton("apply");
    }

    @Test
    void when_a_listed_scope_is_already_granted_the_card_points_at_the_token_and_the_data_range() {
        chat.user(feishu672("im:message", "contact:user.base:readonly")).repliesWith("diagnose_feishu_scope")
                .showing("Already granted", "user_access_token", "数据权限", "Declared but not granted")
                .withButton("apply");
    }

    @Test
    void with_the_quota_used_up_the_diagnosis_says_so_instead_of_offering_apply() {
        chat.store.markExhausted(ChatScript.TENANT, "1.0.0", chat.clock.instant());
        chat.user(feishu672("approval:approval")).repliesWith("diagnose_feishu_scope")
                .showing("10/10", "All 10 applications for this version are used")
                .withoutButton("apply");
    }

    @Test
    void a_second_apply_from_another_diagnosis_meets_the_same_guard() {
        chat.user(feishu672("approval:approval")).clicks("apply").cardBecomes("apply_success");
        chat.user(feishu672("approval:approval")).clicks("apply").toast("warning", "moments ago");
        assertEquals(1, chat.platform.applyCalls.get(), "the cooldown guards Apply from a diagnosis too");
    }

    @Test
    void if_the_scope_list_cannot_be_read_the_paste_is_still_diagnosed_and_the_card_says_so() {
        chat.platform.listFails(FakeGateway.fail(99991400, 429));
        chat.user(feishu672("contact:user.base:readonly")).repliesWith("diagnose_feishu_scope")
                .showing("contact:user.base:readonly", "could not read this app's live grant status", "99991400", "log-99991400",
                        "https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=contact%3Auser.base%3Areadonly")
                .withoutButton("apply");
    }

    @Test
    void a_user_authorization_error_asks_the_user_to_authorize_again_and_offers_no_apply() {
        chat.user("调用日历接口报错：{\"code\":99991679,\"msg\":\"Unauthorized. You do not have permission to perform the requested operation on "
                        + "the resource. Please request user re-authorization and try again. required one of these privileges: "
                        + "[calendar:calendar:readonly].应用未获取所需的用户授权：[calendar:calendar:readonly]\"}")
                .repliesWith("diagnose_feishu_user")
                .showing("calendar:calendar:readonly", "the user must authorize again", "Apply will not help here", "token_type=user")
                .withoutButton("apply");
    }

    @Test
    void a_token_error_explains_the_token_types_and_masks_the_token() {
        chat.user("curl -H 'Authorization: Bearer u-cxWPuKzbp0aF5lr4Tp4blM4ghOK0g4bxqM00l4Ak24aX' ... "
                        + "{\"code\":99991663,\"msg\":\"Invalid access token for authorization. Please make a request with token attached.\"}")
                .repliesWith("diagnose_feishu_token")
                .showing("Token error 99991663", "tenant_access_token", "2 hours", "refresh_token", "u-cxW…(masked)",
                        "a user_access_token (`u-…`, a user's identity) was sent")
                .notShowing("cxWPuKzbp0aF5lr4Tp4blM4ghOK0g4bxqM00l4Ak24aX");
    }

    @Test
    void a_dingtalk_error_gets_both_causes_and_what_to_send_support_but_never_the_client_secret() {
        chat.user("{\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\",\"requestid\":\"e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9\","
                        + "\"message\":\"没有调用该接口的权限\",\"accessdenieddetail\":{\"requiredScopes\":[\"Contact.User.Read\"]}} "
                        + "clientSecret: \"Zq8Yx7Wv6Ut5Sr4Qp3On2Ml1Kj0Ih9Gf8Ed7Cb6Aa5\"")
                .repliesWith("diagnose_dingtalk")
                .showing("Contact.User.Read", "Cause 1", "Cause 2", "incremental authorization", "Authorization management",
                        "ClientID", "e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9", "Never send the ClientSecret", "Zq8…(masked)")
                .notShowing("Yx7Wv6Ut5Sr4Qp3On2Ml1Kj0Ih9Gf8Ed7Cb6Aa5")
                .withoutButton("apply");
    }

    @Test
    void an_error_the_bot_cannot_read_gets_a_short_card_saying_what_it_can_read() {
        chat.user("{\"code\":99991400,\"msg\":\"request trigger frequency limit\"}").repliesWith("diagnose_unrecognised")
                .showing("99991400", "I can diagnose");
        chat.user("我调接口报错了").repliesWith("diagnose_unrecognised");
    }

    @ParameterizedTest
    @CsvSource({"missing permissions, missing", "缺少哪些权限, missing", "help, help", "quota, quota", "权限状态, status",
            "hello, help"})
    void ordinary_commands_still_reach_their_own_cards(String said, String card) {
        chat.user(said).repliesWith(card);
    }

    @Test
    void a_hostile_paste_renders_as_text() {
        chat.user("<at id=all></at> [click me](https://evil.example) **boss says** " + feishu672("contact:user.base:readonly")
                        .replace("20250314173000C5A4E1B2D3F4A5B6C7", "<at id=all></at>"))
                .repliesWith("diagnose_feishu_scope")
                .notShowing("<at", "](https", "**boss");
    }

    @Test
    void each_diagnosis_leaves_one_audit_row_with_kind_scopes_code_and_log_id() {
        chat.user(feishu672("contact:user.base:readonly", "approval:approval"));
        List<AuditEntry> rows = chat.store.recentAudit(10);
        assertEquals(1, rows.size());
        AuditEntry a = rows.get(0);
        assertEquals("diagnose", a.action());
        assertEquals("feishu_app_scope: contact:user.base:readonly,approval:approval", a.detail());
        assertEquals(99991672, a.code());
        assertEquals("20250314173000C5A4E1B2D3F4A5B6C7", a.logId());
        assertEquals("ou_alice", a.actor());
        assertEquals("oc_chat", a.chatId());

        chat.user("{\"requestid\":\"e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9\",\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\","
                + "\"accessdenieddetail\":{\"requiredScopes\":[\"Contact.User.Read\"]}}");
        AuditEntry d = chat.store.recentAudit(1).get(0);
        assertEquals("dingtalk_scope Forbidden.AccessDenied.AccessTokenPermissionDenied: Contact.User.Read", d.detail());
        assertNull(d.code());
        assertEquals("e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9", d.logId());
    }

    @Test
    void nothing_pasted_reaches_the_logs() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try {
            chat.platform.listFails(FakeGateway.fail(99991663, 400));
            chat.user("MARKER-7731 app_secret=Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0 " + feishu672("contact:user.base:readonly"));
            chat.user("MARKER-7731 Bearer t-g1043ehJRUIJJ5ELPFFBCSRDNQ2WEKK3EBN2JRFX {\"code\":99991663}");
            chat.user("MARKER-7731 {\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\", \"requiredScopes\": [\"Contact.User.Read\"]}");
            chat.user("MARKER-7731 error {\"code\":1, \"msg\":\"<at id=all></at>\"}");
        } finally {
            root.detachAppender(logs);
        }
        assertFalse(logs.list.isEmpty(), "the diagnoses were logged (without the pastes)");
        for (ILoggingEvent e : logs.list) {
            String line = e.getFormattedMessage() + throwable(e.getThrowableProxy());
            for (String pasted : List.of("MARKER", "Xk3vB9", "g1043eh", "Contact.User.Read", "contact:user.base", "<at")) {
                assertFalse(line.contains(pasted), "a log line carries pasted text: " + line);
            }
        }
    }

    private static String throwable(IThrowableProxy t) {
        return t == null ? "" : t.getClassName() + t.getMessage() + throwable(t.getCause());
    }
}
