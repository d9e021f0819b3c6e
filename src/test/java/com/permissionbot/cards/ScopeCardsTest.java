package com.permissionbot.cards;

import com.permissionbot.Bot;
import com.permissionbot.support.CardJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.scopes.ApplyOutcome.Kind;
import com.permissionbot.domain.Quota;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScopeCardsTest {
    private static final ScopeCards CARDS = new ScopeCards(Fixtures.RENDERER);

    @Test
    void every_outcome_kind_has_a_template_that_loads_at_start_up() {
        for (Kind k : Kind.values()) {
            assertTrue(Bot.templates().contains(ScopeCards.templateFor(k)), k.name());
            assertEquals(ScopeCards.templateFor(k), CARDS.outcome(Fixtures.outcome(k), Fixtures.VERSION, "n", "").name());
        }
    }

    @Test
    void apply_button_carries_version_and_nonce_as_strings() {
        Card c = CARDS.missing(Fixtures.scopes(), Fixtures.quota(3), 1, "n-42");
        assertEquals(Map.of("action", "apply", "version", "1.4.0", "nonce", "n-42"), values(c).get(0));
    }

    @Test
    void retry_after_uncertain_repeats_the_original_click_with_its_reason() {
        Card original = CARDS.missing(Fixtures.scopes(), Fixtures.quota(3), 1, "n-42");
        Card uncertain = CARDS.outcome(Fixtures.outcome(Kind.UNCERTAIN), "1.4.0", "n-42", "a \"quoted\" reason");
        Map<String, String> retry = new java.util.HashMap<>(values(original).get(0));
        retry.put(ScopeCards.REASON, "a \"quoted\" reason");
        assertEquals(retry, values(uncertain).get(0));
    }

    @Test
    void pager_buttons_name_the_card_and_the_page() {
        Card c = CARDS.status(Fixtures.many(60, 60), 2);
        assertEquals(List.of(Map.of("action", "page", "card", "status", "page", "1"),
                Map.of("action", "page", "card", "status", "page", "3")), values(c));
        assertTrue(CardText.of(CardJson.tree(c), "en_us").contains("Page 2 of 3"));
    }

    @Test
    void callback_values_are_flat_objects_of_strings() {
        List<Card> cards = List.of(CARDS.missing(Fixtures.many(90, 3), Fixtures.quota(3), 2, "n"),
                CARDS.status(Fixtures.many(90, 3), 2), CARDS.outcome(Fixtures.outcome(Kind.UNCERTAIN), "1.4.0", "n", ""));
        for (Card c : cards) {
            for (JsonNode b : CardJson.tree(c).findValues("behaviors")) {
                JsonNode v = b.get(0).get("value");
                for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) assertTrue(it.next().isTextual(), c.name() + ": " + v);
            }
        }
    }

    @Test
    void no_apply_button_once_the_quota_is_used_up() {
        Card c = CARDS.missing(Fixtures.scopes(), Fixtures.quota(Quota.LIMIT), 1, "n");
        assertTrue(values(c).isEmpty());
        assertTrue(CardText.of(CardJson.tree(c), "en_us").contains("Publish a new app version"));
    }

    @Test
    void nothing_missing_shows_all_granted() {
        assertEquals("all_granted", CARDS.missing(Fixtures.many(0, 5), Fixtures.quota(1), 1, "n").name());
    }

    @Test
    void failure_cards_show_code_and_log_id_but_policy_cards_do_not() {
        Set<Kind> noPlatformCode = EnumSet.of(Kind.SUCCESS, Kind.NOT_ALLOWED, Kind.COOLDOWN);
        for (Kind k : Kind.values()) {
            ApplyOutcome o = Fixtures.outcome(k);
            String en = CardText.of(CardJson.tree(CARDS.outcome(o, "1.4.0", "n", "")), "en_us");
            String zh = CardText.of(CardJson.tree(CARDS.outcome(o, "1.4.0", "n", "")), "zh_cn");
            if (noPlatformCode.contains(k)) {
                assertFalse(en.contains("log_id"), k.name());
            } else {
                String logId = o.logId().isEmpty() ? "-" : o.logId();
                assertTrue(en.contains("Code " + o.code() + ", log_id " + logId), k + ": " + en);
                assertTrue(zh.contains("错误码 " + o.code() + "，log_id " + logId), k + ": " + zh);
            }
            assertFalse(en.contains("Exception") || en.contains("\tat "), "no stack trace");
        }
    }

    @Test
    void nothing_to_apply_from_the_bots_own_check_has_no_support_line() {
        ApplyOutcome o = new ApplyOutcome(Kind.NOTHING_TO_APPLY, 0, "", "", null, List.of(), Fixtures.quota(1));
        assertFalse(CardText.of(CardJson.tree(CARDS.outcome(o, "1.4.0", "n", "")), "en_us").contains("log_id"));
    }

    @Test
    void rate_limited_says_when_to_retry_in_whole_seconds() {
        ApplyOutcome o = new ApplyOutcome(Kind.RATE_LIMITED, 99991400, "limit", "L", Duration.ofMillis(12_400), List.of(), null);
        assertTrue(CardText.of(CardJson.tree(CARDS.outcome(o, "1.4.0", "n", "")), "en_us").contains("wait 13 seconds"));
    }

    @Test
    void success_lists_what_was_requested_and_the_quota() {
        String en = CardText.of(CardJson.tree(CARDS.outcome(Fixtures.outcome(Kind.SUCCESS), "1.4.0", "n", "")), "en_us");
        assertTrue(en.contains("- drive:drive:readonly"), en);
        assertTrue(en.contains("4/10"), en);
    }

    @Test
    void a_long_sweep_is_cut_with_a_count_of_the_rest() {
        List<String> swept = Fixtures.many(100, 0).ungranted();
        ApplyOutcome o = new ApplyOutcome(Kind.SUCCESS, 0, "success", "L", null, swept, Fixtures.quota(1));
        String en = CardText.of(CardJson.tree(CARDS.outcome(o, "1.4.0", "n", "")), "en_us");
        assertTrue(en.contains("(100 in all)"), en);
        assertTrue(en.contains("…and 60 more"), en);
    }

    @Test
    void quota_shows_time_and_requester_and_the_blind_spot() {
        String en = CardText.of(CardJson.tree(CARDS.quota(Fixtures.quota(3))), "en_us");
        assertTrue(en.contains("3/10"), en);
        assertTrue(en.contains("2025-03-14 09:30 UTC, by <person id=" + Fixtures.REQUESTER + "></person>"), "shown by name: " + en);
        assertTrue(en.contains("made elsewhere"), en);
        String zh = CardText.of(CardJson.tree(CARDS.quota(Fixtures.quota(3))), "zh_cn");
        assertTrue(zh.contains("2025-03-14 17:30（北京时间）"), zh);
    }

    /** The callback values of every button, in order. */
    private static List<Map<String, String>> values(Card c) {
        return CardJson.tree(c).findValues("behaviors").stream()
                .map(b -> {
                    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
                    b.get(0).get("value").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
                    return (Map<String, String>) m;
                })
                .toList();
    }
}
