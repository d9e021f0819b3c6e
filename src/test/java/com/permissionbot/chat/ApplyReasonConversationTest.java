package com.permissionbot.chat;

import com.permissionbot.Bot;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.Markdown;
import com.permissionbot.domain.CardClick;
import com.permissionbot.domain.Reason;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.ChatScript;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reason typed on the missing card, as scripts: it reaches the outcome card, "my requests" and the request card
 * in the admins' chat, stays inert and bounded whatever is typed, and the admins' card follows the grant.
 */
class ApplyReasonConversationTest {
    static final String OPS = "oc_admins";
    static final String REASON = "The leave sync job reads approvals (请假同步)";
    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir, "follow:\n  ops_chat_id: " + OPS + "\n");
        chat.platform.scope("im:message", true).scope("contact:user.base:readonly", false).scope("approval:approval", false);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    /** Applies from the missing card with {@code reason} typed into its form. */
    private ChatScript applyWith(String reason) {
        return chat.user("missing permissions").repliesWith("missing").submits("apply", Map.of(ScopeCards.REASON, reason))
                .cardBecomes("apply_success");
    }

    /** The admins' card as first sent, once the outbox has delivered it. */
    private FakeGateway.Said opsCard() {
        ChatScript.await(() -> !opsSends().isEmpty());
        return opsSends().get(0);
    }

    private List<FakeGateway.Said> opsSends() {
        return chat.platform.said("send").stream().filter(s -> s.target().equals(OPS)).toList();
    }

    /** Waits for the admins' card to be updated in place into one showing {@code text}; returns that card. */
    private Card opsUpdate(String messageId, String text) {
        ChatScript.await(() -> chat.platform.said("update").stream().anyMatch(s -> s.target().equals(messageId)
                && s.card().toJson().contains(text)));
        return chat.platform.said("update").stream().filter(s -> s.target().equals(messageId) && s.card().toJson().contains(text))
                .reduce((a, b) -> b).orElseThrow().card();
    }

    @Test
    void a_reason_reaches_the_outcome_card_my_requests_and_the_admins_chat() {
        applyWith(REASON).showing("Your reason", REASON);
        FakeGateway.Said ops = opsCard();
        assertEquals("ops_request", ops.card().name());
        String card = ops.card().toJson();
        assertTrue(card.contains("<person id=ou_alice></person>"), "who asked, by name: " + card);
        assertTrue(card.contains(Markdown.escape(REASON)), card);
        assertTrue(card.contains("contact&#58;user.base&#58;readonly") && card.contains("approval&#58;approval"), "the scopes swept in");
        assertTrue(card.contains("1/10"), "the quota after it: " + card);
        assertTrue(card.contains("https://open.feishu.cn/app/" + ChatScript.APP_ID + "/auth"), "the app's permissions page: " + card);
        assertTrue(card.contains("Waiting for an admin"), card);
        chat.user("my requests").repliesWith("my_requests").showing("reason: " + REASON, "理由：" + REASON);
        assertEquals(REASON, chat.store.applyRequestsBy("ou_alice").get(0).reason());
    }

    @Test
    void without_a_reason_the_admins_card_says_none_was_given_and_the_other_cards_show_no_reason_line() {
        applyWith("   ").notShowing("Your reason");
        assertTrue(opsCard().card().toJson().contains("No reason was given."));
        chat.user("my requests").repliesWith("my_requests").notShowing("reason:", "理由：");
        chat.clock.advance(Duration.ofSeconds(61)); // past the apply cooldown, so the click makes a second request
        chat.user("missing permissions").clicks("apply").cardBecomes("apply_success");
        assertEquals(2, chat.store.applyRequestsBy("ou_alice").size());
        assertEquals("", chat.store.applyRequestsBy("ou_alice").get(0).reason(), "a click without the form has no reason either");
    }

    @ParameterizedTest
    @ValueSource(strings = {"<at id=all></at> please", "see [the doc](https://evil.example/phish) **now**", "${nonce} ${reason_value}",
            "line one\n# heading\n- item\r\n```code```", "\"}]},{\"tag\":\"button\",\"text\":\"x\\", "</raw><raw>&#60;at id=all&#62;"})
    void hostile_reasons_are_inert_on_every_card(String hostile) {
        applyWith(hostile);
        List<Card> cards = List.of(chat.card(), opsCard().card(), chat.user("my requests").card());
        for (Card c : cards) {
            String json = c.toJson();
            CardJson.tree(c); // still one well-formed card
            for (String live : List.of("<at id=all", "](https", "**now**", "${", "# heading", "- item", "```", "</raw>",
                    "\"tag\":\"button\",\"text\":\"x")) {
                assertFalse(json.contains(live), c.name() + " shows '" + live + "' live: " + json);
            }
        }
        String kept = chat.store.applyRequestsBy("ou_alice").get(0).reason();
        assertFalse(kept.contains("\n") || kept.contains("\r"), "one line: " + kept);
        assertEquals(Reason.of(hostile), kept);
    }

    @Test
    void ten_kilobytes_of_reason_are_cut_to_200_characters_everywhere() {
        String huge = "因为".repeat(2_500) + "<at id=all></at>".repeat(300);
        applyWith(huge);
        String kept = chat.store.applyRequestsBy("ou_alice").get(0).reason();
        assertEquals(Reason.MAX_CHARS, kept.codePointCount(0, kept.length()));
        assertTrue(kept.endsWith("\u2026"));
        for (Card c : List.of(chat.card(), opsCard().card(), chat.user("my requests").card())) {
            assertTrue(c.bytes() < CardRenderer.MAX_BYTES, c.name() + " " + c.bytes());
            assertFalse(c.toJson().contains("因为".repeat(100) + "因"), c.name() + " shows more than 200 characters");
        }
    }

    @Test
    void a_secret_typed_as_a_reason_is_masked_and_never_logged() {
        try (LogCapture logs = new LogCapture(false)) {
            applyWith("testing with app_secret=Zx81mQ0pLk2Jh7Ty5Rw3 and more words");
            String shown = chat.card().toJson() + opsCard().card().toJson() + chat.user("my requests").card().toJson();
            assertFalse(shown.contains("Zx81mQ0pLk2Jh7Ty5Rw3"), shown);
            assertFalse(chat.store.applyRequestsBy("ou_alice").get(0).reason().contains("Zx81mQ0pLk2Jh7Ty5Rw3"));
            String logged = logs.events().stream().map(LogCapture::line).collect(java.util.stream.Collectors.joining("\n"));
            assertFalse(logged.contains("Zx81mQ0pLk2Jh7Ty5Rw3") || logged.contains("more words"), logged);
        }
    }

    @Test
    void the_admins_card_is_updated_in_place_when_the_grant_lands() {
        applyWith(REASON);
        String ops = opsCard().messageId();
        chat.platform.grantAll();
        chat.clock.advance(Duration.ofSeconds(6));
        chat.bot.watcher.tick();
        String card = opsUpdate(ops, "Granted by").toJson();
        assertTrue(card.contains(Markdown.escape(REASON)) && card.contains("\"template\":\"green\""), card);
        chat.awaitDelivered();
        assertEquals(1, opsSends().size(), "one card in the admins' chat, updated in place");
    }

    @Test
    void a_partial_grant_then_the_rest_update_the_admins_card_twice() {
        applyWith(REASON);
        String ops = opsCard().messageId();
        chat.platform.scope("approval:approval", true);
        chat.clock.advance(Duration.ofSeconds(6));
        chat.bot.watcher.tick();
        String partial = opsUpdate(ops, "Partly granted").toJson();
        assertTrue(partial.contains("1 of the 2 scopes were granted") && partial.contains("contact&#58;user.base&#58;readonly"), partial);
        chat.platform.grantAll();
        chat.clock.advance(Duration.ofSeconds(61));
        chat.bot.watcher.tick();
        opsUpdate(ops, "Granted by");
        chat.awaitDelivered();
        assertEquals(1, opsSends().size());
    }

    @Test
    void a_watch_that_ends_after_a_partial_grant_lists_only_the_scopes_still_waiting() {
        applyWith(REASON);
        String ops = opsCard().messageId();
        chat.platform.scope("approval:approval", true);
        chat.clock.advance(Duration.ofSeconds(6));
        chat.bot.watcher.tick();
        opsUpdate(ops, "Partly granted");
        chat.clock.advance(Duration.ofDays(7).plusMinutes(1));
        chat.bot.watcher.tick();
        String ended = opsUpdate(ops, "no longer followed").toJson();
        assertTrue(ended.contains("contact&#58;user.base&#58;readonly"), ended);
        assertFalse(ended.contains("approval&#58;approval"), "the granted scope is not listed as waiting: " + ended);
        List<String> told = chat.platform.said("reply").stream().map(r -> r.card().toJson()).filter(j -> j.contains("7 days")).toList();
        assertEquals(1, told.size(), "the requester is told once");
        assertFalse(told.get(0).contains("approval&#58;approval"), "nor on the requester's card: " + told.get(0));
    }

    @Test
    void a_request_never_granted_turns_the_admins_card_into_expired() {
        applyWith("");
        String ops = opsCard().messageId();
        chat.clock.advance(Duration.ofDays(7).plusMinutes(1));
        chat.bot.watcher.tick();
        String card = opsUpdate(ops, "no longer followed").toJson();
        assertTrue(card.contains("Not granted within 7 days") && card.contains("\"template\":\"grey\""), card);
    }

    @Test
    void a_double_click_applies_once_keeps_the_first_reason_and_makes_one_admins_card() {
        chat.user("missing permissions");
        CardClick first = chat.click("apply", Map.of(ScopeCards.REASON, "first"));
        CardClick again = new CardClick(first.tenantKey(), first.messageId(), first.chatId(), first.operatorOpenId(), first.value(),
                first.updateToken(), Map.of(ScopeCards.REASON, "second"));
        CardAnswer a = chat.bot.actions.handle(first);
        CardAnswer b = chat.bot.actions.handle(again);
        assertEquals(a.card().toJson(), b.card().toJson(), "the repeat gets the first answer");
        assertTrue(b.toastEn().contains("already handled"), b.toastEn());
        assertEquals(1, chat.platform.applyCalls.get());
        assertEquals(List.of("first"), chat.store.applyRequestsBy("ou_alice").stream().map(ApplyRequest::reason).toList());
        opsCard();
        chat.awaitDelivered();
        assertEquals(1, opsSends().size());
    }

    @Test
    void the_same_click_on_two_replicas_at_once_applies_once_with_one_admins_card() throws Exception {
        Bot other = chat.replica("replica-2");
        chat.platform.applyTakes(Duration.ofMillis(300));
        chat.user("missing permissions");
        CardClick click = chat.click("apply", Map.of(ScopeCards.REASON, REASON));
        CompletableFuture<CardAnswer> one = CompletableFuture.supplyAsync(() -> chat.bot.actions.handle(click));
        CompletableFuture<CardAnswer> two = CompletableFuture.supplyAsync(() -> other.actions.handle(click));
        one.get();
        two.get();
        assertEquals(1, chat.platform.applyCalls.get());
        assertEquals(1, chat.store.applyRequestsBy("ou_alice").size());
        opsCard();
        chat.awaitDelivered();
        assertEquals(1, opsSends().size(), "one admins' card");
    }

    @Test
    void retry_after_an_unanswered_apply_keeps_the_reason() {
        chat.platform.applyAnswers(FakeGateway.fail(-1, 0));
        chat.user("missing permissions").submits("apply", Map.of(ScopeCards.REASON, REASON)).cardBecomes("apply_uncertain")
                .showing("kept if you apply again", REASON);
        chat.clock.advance(Duration.ofMinutes(1));
        chat.clicks("apply").cardBecomes("apply_success").showing(REASON);
        assertEquals(REASON, chat.store.applyRequestsBy("ou_alice").get(0).reason());
        assertTrue(opsCard().card().toJson().contains(Markdown.escape(REASON)));
    }
}
