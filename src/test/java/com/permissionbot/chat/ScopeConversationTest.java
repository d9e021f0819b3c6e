package com.permissionbot.chat;

import com.permissionbot.support.ChatScript;
import com.permissionbot.support.FakeGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Missing, status, quota and Apply with its outcomes, as scripts: the user says, the bot replies with a card. */
class ScopeConversationTest {
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

    @ParameterizedTest
    @ValueSource(strings = {"which permissions are missing?", "Missing permissions", "缺少哪些权限", "缺什么权限？",
            "ＭＩＳＳＩＮＧ　ＰＥＲＭＩＳＳＩＯＮＳ", "what scopes are missing", "还缺哪些权限呢", "@_user_1 missing scopes"})
    void asking_what_is_missing_in_either_language_lists_the_ungranted_scopes(String said) {
        chat.user(said).repliesWith("missing")
                .showing("contact&#58;user.base&#58;readonly", "approval&#58;approval", "0/10", "1.0.0")
                .notShowing("im&#58;message\\n");
    }

    @Test
    void applying_from_the_missing_card_spends_one_application_and_quota_shows_it() {
        chat.user("missing permissions").clicks("apply")
                .cardBecomes("apply_success").toast("success", "Sent to the tenant admin");
        assertEquals(1, chat.platform.applyCalls.get());
        chat.user("quota").repliesWith("quota").showing("1/10", "<person id=ou_alice></person>");
        chat.user("额度").repliesWith("quota");
    }

    @Test
    void a_double_click_applies_once_and_the_repeat_shows_the_same_outcome() {
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_success")
                .clicksAgain().cardBecomes("apply_success").toast("info", "already handled");
        assertEquals(1, chat.platform.applyCalls.get());
    }

    @Test
    void when_nothing_is_missing_the_bot_says_so_and_spends_nothing() {
        chat.platform.grantAll();
        chat.user("缺少哪些权限").repliesWith("all_granted");
        assertEquals(0, chat.platform.applyCalls.get());
    }

    @Test
    void a_stale_apply_button_after_everything_was_granted_spends_nothing() {
        chat.user("missing permissions");
        chat.platform.grantAll();
        chat.clicks("apply").cardBecomes("apply_nothing_to_apply");
        assertEquals(0, chat.platform.applyCalls.get());
    }

    @ParameterizedTest
    @CsvSource({"212001, apply_only_super_scopes", "212002, apply_nothing_to_apply", "212003, apply_quota_exhausted",
            "212004, apply_duplicate", "212100, apply_not_installed", "99999, apply_failed"})
    void each_platform_answer_has_its_own_card_with_code_and_log_id(int code, String card) {
        chat.platform.applyAnswers(FakeGateway.fail(code, 400));
        chat.user("missing permissions").clicks("apply").cardBecomes(card).showing(String.valueOf(code), "log-" + code);
    }

    @Test
    void quota_exhausted_shows_ten_of_ten_from_then_on() {
        chat.platform.applyAnswers(FakeGateway.fail(212003, 400));
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_quota_exhausted");
        chat.user("quota").showing("10/10");
    }

    @Test
    void rate_limited_says_when_to_retry() {
        chat.platform.applyAnswers(FakeGateway.rateLimited(Duration.ofSeconds(42)));
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_rate_limited").showing("42", "99991400", "log-429");
    }

    @Test
    void a_network_failure_is_reported_honestly_with_a_retry_that_does_not_double_spend() {
        chat.platform.applyAnswers(FakeGateway.fail(-1, 0));
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_uncertain");
        chat.clock.advance(Duration.ofSeconds(11));
        chat.platform.applyAnswers(FakeGateway.fail(212004, 400));
        chat.clicks("apply").cardBecomes("apply_duplicate");
        assertEquals(2, chat.platform.applyCalls.get());
        chat.user("quota").showing("0/10");
    }

    @Test
    void a_failed_check_before_applying_says_nothing_was_sent() {
        chat.user("missing permissions").showing("approval:approval");
        chat.platform.listFails(FakeGateway.fail(-1, 0));
        chat.clicks("apply").cardBecomes("apply_not_sent").showing("nothing was sent", "没有向管理员发出申请");
        assertEquals(0, chat.platform.applyCalls.get());
        chat.platform.listFails(null);
        chat.user("quota").showing("0/10");
    }

    @Test
    void platform_text_in_a_failure_card_stays_inert() {
        chat.platform.applyAnswers(new com.permissionbot.feishu.PlatformResult<>(99999, "<at id=all></at> [click](https://evil.example) **x**",
                "log-x", 400, null, null));
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_failed")
                .notShowing("<at id=all>", "](https://evil", "**x**");
    }

    @Test
    void a_second_person_clicking_within_the_cooldown_is_told_to_wait_and_may_click_again_later() {
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_success");
        chat.as("ou_bob").user("missing permissions").clicks("apply").toast("warning", "moments ago");
        chat.clock.advance(Duration.ofSeconds(11));
        chat.platform.applyAnswers(FakeGateway.fail(212004, 400));
        chat.clicks("apply").cardBecomes("apply_duplicate");
    }

    @Test
    void people_outside_the_allow_list_get_a_toast_and_spend_nothing() {
        chat.close();
        chat = new ChatScript(dir, "apply:\n  allowed_open_ids: [ou_admin]\n");
        chat.platform.scope("contact:user.base:readonly", false);
        chat.user("missing permissions").clicks("apply").toast("error", "not on the list");
        assertEquals(0, chat.platform.applyCalls.get());
        chat.as("ou_admin").clicks("apply").cardBecomes("apply_success");
    }

    @Test
    void a_slow_platform_gets_a_working_card_first_and_the_outcome_later() {
        chat.close();
        chat = new ChatScript(dir, "apply:\n  answer_within_ms: 200\n");
        chat.platform.scope("contact:user.base:readonly", false);
        chat.platform.applyTakes(Duration.ofMillis(800));
        chat.user("missing permissions").clicks("apply").cardBecomes("working").toast("info", "Asking Feishu");
        chat.cardUpdatesTo("apply_success");
        assertEquals(1, chat.platform.applyCalls.get());
    }

    @Test
    void a_slow_apply_that_then_fails_ends_in_its_outcome_with_code_and_log_id() {
        chat.close();
        chat = new ChatScript(dir, "apply:\n  answer_within_ms: 200\n");
        chat.platform.scope("contact:user.base:readonly", false);
        chat.platform.applyTakes(Duration.ofMillis(800));
        chat.platform.applyAnswers(FakeGateway.fail(5000, 500));
        chat.user("missing permissions").clicks("apply").cardBecomes("working");
        chat.cardUpdatesTo("apply_uncertain").showing("5000", "log-5000");
        chat.clicksAgain().toast("info", "already handled").cardBecomes("apply_uncertain");
    }

    @Test
    void a_slow_apply_that_never_reports_back_ends_in_the_uncertain_card_and_is_never_left_working() {
        chat.close();
        chat = new ChatScript(dir, "apply:\n  answer_within_ms: 200\n");
        chat.platform.scope("contact:user.base:readonly", false);
        chat.platform.applyTakes(Duration.ofSeconds(20)); // the call hangs, as if the process running it had died
        chat.user("missing permissions").clicks("apply").cardBecomes("working");
        chat.clicksAgain().toast("info", "still being handled");
        chat.clock.advance(CardActions.SLOW_TIME.plusSeconds(1));
        chat.cardUpdatesTo("apply_uncertain");
        chat.clicksAgain().toast("warning", "never got Feishu's answer").cardBecomes("apply_uncertain");
    }

    @ParameterizedTest
    @ValueSource(strings = {"permission status", "权限状态", "Status"})
    void status_lists_every_scope(String said) {
        chat.user(said).repliesWith("status").showing("im&#58;message", "contact&#58;user.base&#58;readonly");
    }

    @Test
    void a_long_list_pages_and_the_page_buttons_work() {
        for (int i = 0; i < 500; i++) chat.platform.scope(String.format("scope:number%03d:readonly", i), i % 2 == 0);
        chat.user("missing permissions").repliesWith("missing").showing("scope&#58;number001");
        chat.clicks("page").cardBecomes("missing").notShowing("scope&#58;number001&#58;");
        chat.user("permission status").repliesWith("status");
        assertEquals(true, chat.card().bytes() < 30 * 1024);
    }

    @Test
    void a_scopes_list_failure_shows_code_and_log_id() {
        chat.platform.listFails(FakeGateway.fail(212100, 400));
        chat.user("missing permissions").repliesWith("list_failed").showing("212100", "log-212100");
    }
}
