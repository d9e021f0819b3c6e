package com.permissionbot.chat;

import com.permissionbot.store.InboxRow;
import com.permissionbot.store.TransportReport;
import com.permissionbot.support.ChatScript;
import com.permissionbot.support.FakeGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** "doctor" / "自检" as scripts: what the card says when everything works, and for each thing that does not. */
class DoctorConversationTest {
    static final List<String> OWN = List.of("im:message:send_as_bot", "im:message.p2p_msg:readonly", "im:message.group_at_msg:readonly",
            "im:chat:readonly",
            "application:application:self_manage");
    static final String APPROVAL = "7C468A54-8745-2245-9675-08B7C63E7A85";

    @TempDir
    Path dir;
    ChatScript chat;

    @AfterEach
    void stop() {
        if (chat != null) chat.close();
    }

    /** A bot whose own scopes are all granted, and one running process that heard from Feishu a minute ago. */
    private ChatScript healthy(String yaml) {
        chat = new ChatScript(dir, yaml);
        OWN.forEach(s -> chat.platform.scope(s, true));
        chat.platform.scope("contact:user.base:readonly", false);
        report(new TransportReport("bot-1", "webhook", null, null, chat.clock.instant().minusSeconds(60), Map.of(), null, chat.clock.instant()));
        return chat;
    }

    private void report(TransportReport r) {
        chat.store.saveTransportReport(r);
    }

    @Test
    void with_everything_in_place_the_doctor_says_all_good_in_either_language() {
        healthy("").user("doctor").repliesWith("doctor")
                .showing("Doctor: all good", "自检：一切正常", "The app id and secret work", "The bot \"Permission Bot\" is enabled",
                        "Webhook: the last signed request arrived at 2026-11-22 07:59:00 UTC", "Version 1.0.0 is online",
                        "im:message:send_as_bot", "Writable; 0 events being handled or waiting", "agrees with Feishu's")
                .withButton("doctor_test").withoutButton("apply").notShowing("\"green\"".replace("green", "red"));
        chat.user("自检").repliesWith("doctor");
    }

    @Test
    void a_wrong_secret_is_named_and_the_checks_that_need_it_are_skipped() {
        healthy("").platform.tokenAnswer = FakeGateway.fail(10014, 400);
        chat.user("doctor").repliesWith("doctor")
                .showing("1 thing to fix", "The app secret is wrong", "FEISHU_APP_SECRET", "code 10014", "Not checked: fix the credentials first");
        assertEquals(0, chat.platform.listCalls.get(), "nothing else asked of a platform that refused the credentials");
    }

    @Test
    void an_own_scope_declared_but_not_granted_offers_apply_with_its_guards() {
        chat = new ChatScript(dir);
        chat.platform.scope("im:message:send_as_bot", true).scope("im:message.group_at_msg:readonly", true).scope("im:chat:readonly", true)
                .scope("application:application:self_manage", true).scope("im:message.p2p_msg:readonly", false);
        report(new TransportReport("bot-1", "webhook", null, null, chat.clock.instant(), Map.of(), null, chat.clock.instant()));
        chat.user("doctor").repliesWith("doctor")
                .showing("1 thing to fix", "declared but not granted: im:message.p2p_msg:readonly; press Apply", "0/10")
                .withButton("apply").notShowing("/auth?q=")
                .clicks("apply").cardBecomes("apply_success");
        assertEquals(1, chat.platform.applyCalls.get(), "the scope cards' Apply, with its guards");
    }

    @Test
    void an_own_scope_the_app_does_not_declare_links_the_console_page_for_it() {
        chat = new ChatScript(dir);
        chat.platform.scope("im:message:send_as_bot", true).scope("application:application:self_manage", true)
                .scope("im:message.p2p_msg:readonly", true).scope("im:chat:readonly", true);
        report(new TransportReport("bot-1", "webhook", null, null, chat.clock.instant(), Map.of(), null, chat.clock.instant()));
        chat.user("doctor").repliesWith("doctor")
                .showing("the app does not declare im:message.group_at_msg:readonly",
                        "https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=im%3Amessage.group_at_msg%3Areadonly&op_from=openapi&token_type=tenant")
                .withoutButton("apply");
    }

    @Test
    void with_no_running_process_the_transport_needs_a_fix() {
        chat = new ChatScript(dir);
        OWN.forEach(s -> chat.platform.scope(s, true));
        report(new TransportReport("bot-old", "webhook", null, null, null, Map.of(), null, chat.clock.instant().minusSeconds(61)));
        chat.user("doctor").repliesWith("doctor").showing("No running bot process has reported in the last 60 s");
    }

    @Test
    void a_long_connection_that_is_down_is_named_with_its_replica_and_why_it_gave_up() {
        healthy("feishu:\n  transport: websocket\n");
        report(new TransportReport("bot-2", "websocket", false, chat.clock.instant().minusSeconds(300), null, Map.of(),
                "the platform refused the handshake with 403", chat.clock.instant()));
        report(new TransportReport("bot-1", "websocket", true, chat.clock.instant().minusSeconds(3600), null, Map.of(), null,
                chat.clock.instant()));
        chat.user("doctor").repliesWith("doctor")
                .showing("bot-1 connected since 2026-11-22 07:00:00 UTC", "bot-2 not connected since 2026-11-22 07:55:00 UTC",
                        "gave up: the platform refused the handshake with 403", "1 thing to fix");
    }

    @Test
    void many_bad_signatures_and_no_good_one_in_the_last_hour_point_at_the_encrypt_key() {
        chat = new ChatScript(dir);
        OWN.forEach(s -> chat.platform.scope(s, true));
        report(new TransportReport("bot-2", "webhook", null, null, null, Map.of("signature", 40, "too_large", 1), null, chat.clock.instant()));
        chat.user("doctor").repliesWith("doctor")
                .showing("40 requests in the last hour had a bad signature and none a good one: FEISHU_ENCRYPT_KEY probably differs",
                        "too_large=1");
    }

    @Test
    void bad_signatures_beside_good_ones_are_only_counted() {
        healthy("");
        report(new TransportReport("bot-2", "webhook", null, null, null, Map.of("signature", 40), null, chat.clock.instant()));
        chat.user("doctor").repliesWith("doctor").showing("Doctor: all good", "refused in the last hour: {signature=40}");
    }

    @Test
    void the_test_button_updates_the_card_to_say_callbacks_work_on_every_click() {
        healthy("").user("doctor").showing("Press Test below")
                .clicks("doctor_test").cardBecomes("doctor").toast("success", "Card callbacks work")
                .showing("The Test click reached the bot: it updated this card").withoutButton("doctor_test")
                .clicksAgain().cardBecomes("doctor");
    }

    @Test
    void a_skewed_clock_and_stuck_events_need_fixes() {
        healthy("");
        chat.platform.platformClock = () -> chat.clock.instant().minus(Duration.ofMinutes(2));
        chat.store.inboxInsert(InboxRow.incoming("msg:old", "e-old", "im.message.receive_v1", ChatScript.TENANT, "{}",
                chat.clock.instant().minus(Duration.ofMinutes(5))), "gone", chat.clock.instant().minus(Duration.ofMinutes(4)));
        chat.user("doctor").repliesWith("doctor")
                .showing("2 things to fix", "120 s ahead of Feishu", "turn on NTP", "1 event being handled or waiting", "is a bot process running");
    }

    @Test
    void configured_approvals_are_checked_by_subscribing_again() {
        healthy("approval:\n  subscribe: [\"" + APPROVAL + "\"]\n");
        List.of("approval:approval").forEach(s -> chat.platform.scope(s, true));
        chat.platform.subscribeAnswers(FakeGateway.fail(1390007, 400));
        chat.user("doctor").repliesWith("doctor").showing("Approval " + APPROVAL + " is subscribed", "Doctor: all good");
        chat.platform.subscribeAnswers(FakeGateway.fail(1390002, 400));
        chat.user("doctor").repliesWith("doctor").showing("does not exist in this tenant", "code 1390002");
    }
}
