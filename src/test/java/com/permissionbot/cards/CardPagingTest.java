package com.permissionbot.cards;

import com.permissionbot.support.CardJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.chat.GrantCards;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.ApplyRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 500 scopes: every page stays under 30 KB and 200 elements, and Next reaches every scope. */
class CardPagingTest {
    private static final ScopeCards CARDS = new ScopeCards(Fixtures.RENDERER);

    @Test
    void five_hundred_missing_scopes_page_within_limits_and_all_are_reachable() {
        ScopeStatus s = Fixtures.many(500, 20);
        List<String> seen = walk(p -> CARDS.missing(s, Fixtures.quota(3), p, "n1"), "missing", "scopes");
        assertEquals(s.ungranted(), seen);
    }

    @Test
    void five_hundred_scopes_of_status_page_within_limits_and_all_are_reachable() {
        ScopeStatus s = Fixtures.many(230, 270);
        List<String> seen = walk(p -> CARDS.status(s, p), "status", "missing", "granted");
        List<String> expected = new ArrayList<>(s.ungranted());
        expected.addAll(s.granted());
        assertEquals(expected, seen);
    }

    @Test
    void huge_hostile_names_still_fit() {
        List<ScopeGrant> grants = new ArrayList<>();
        for (int i = 0; i < 500; i++) grants.add(new ScopeGrant(i + "<>[]()*_~`#!".repeat(40), i % 2 == 0));
        ScopeStatus s = new ScopeStatus(grants);
        List<String> missing = walk(p -> CARDS.missing(s, Fixtures.quota(3), p, "n1"), "missing", "scopes");
        assertEquals(250, missing.size());
        List<String> all = walk(p -> CARDS.status(s, p), "status", "missing", "granted");
        assertEquals(500, all.size());
    }

    @Test
    void the_admins_card_and_my_requests_fit_with_the_longest_hostile_reasons_and_500_scopes() {
        GrantCards grants = new GrantCards(Fixtures.RENDERER);
        String reason = com.permissionbot.domain.Reason.of("<{".repeat(5_000));
        List<String> scopes = Fixtures.many(500, 0).ungranted();
        List<ApplyRequest> requests = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            requests.add(new ApplyRequest(i, "t", "oc", "om", "ou_a", "1.0.0", i == 0 ? scopes : List.of("im:message"), ApplyRequest.PENDING,
                    Instant.parse("2025-01-01T00:00:00Z"), null, reason));
        }
        for (String status : List.of(ApplyRequest.PENDING, ApplyRequest.PARTIAL, ApplyRequest.GRANTED, ApplyRequest.EXPIRED)) {
            Card c = grants.opsRequest(requests.get(0), status, scopes, Fixtures.quota(3), Instant.parse("2025-01-02T00:00:00Z"),
                    Duration.ofDays(7), "https://open.feishu.cn/app");
            assertTrue(c.bytes() < CardRenderer.MAX_BYTES, status + ": " + c.bytes());
            assertTrue(CardText.of(CardJson.tree(c), "en_us").contains("more"), "the rest of the scopes are counted");
        }
        Card mine = grants.mine(requests, Instant.parse("2025-01-02T00:00:00Z"));
        assertTrue(mine.bytes() < CardRenderer.MAX_BYTES, "my requests: " + mine.bytes());
        long shown = CardText.of(CardJson.tree(mine), "en_us").lines().filter(l -> l.startsWith("- 2025")).count();
        assertTrue(shown > 0 && shown < 20, "as many as fit: " + shown);
    }

    @Test
    void pages_out_of_range_are_brought_into_range() {
        ScopeStatus s = Fixtures.many(100, 0);
        assertEquals(text(CARDS.missing(s, Fixtures.quota(3), 1, "n")), text(CARDS.missing(s, Fixtures.quota(3), -4, "n")));
        assertEquals(text(CARDS.missing(s, Fixtures.quota(3), 3, "n")), text(CARDS.missing(s, Fixtures.quota(3), 99, "n")));
    }

    @Test
    void one_page_has_no_pager() {
        Card c = CARDS.status(Fixtures.scopes(), 1);
        assertTrue(CardJson.tree(c).findValues("behaviors").isEmpty());
        assertFalse(c.toJson().contains("page_info"));
    }

    /** Follows the Next button from page 1, checking each page, and returns the scope names in the order shown. */
    private static List<String> walk(IntFunction<Card> page, String cardName, String... listIds) {
        List<String> names = new ArrayList<>();
        int p = 1;
        for (int guard = 0; guard < 1_000; guard++) {
            Card c = page.apply(p);
            assertTrue(c.bytes() < CardRenderer.MAX_BYTES, cardName + " page " + p + " is " + c.bytes() + " bytes");
            assertTrue(elements(CardJson.tree(c)) <= CardRenderer.MAX_ELEMENTS, cardName + " page " + p + " has too many elements");
            for (JsonNode el : CardJson.tree(c).path("body").path("elements")) {
                if (Arrays.asList(listIds).contains(el.path("element_id").asText())) {
                    for (String line : el.path("i18n_content").path("en_us").asText().split("\n")) {
                        if (line.startsWith("- ")) names.add(CardText.decode(line.substring(2)));
                    }
                }
            }
            JsonNode next = next(CardJson.tree(c));
            if (next == null) return names;
            assertEquals("page", next.path("action").asText());
            assertEquals(cardName, next.path("card").asText());
            int to = Integer.parseInt(next.path("page").asText());
            assertEquals(p + 1, to);
            p = to;
        }
        throw new AssertionError("the Next buttons never end");
    }

    private static JsonNode next(JsonNode card) {
        for (JsonNode b : card.findParents("behaviors")) {
            if ("next".equals(b.path("element_id").asText())) return b.path("behaviors").get(0).path("value");
        }
        return null;
    }

    /** Every JSON object with a tag is an element. */
    static int elements(JsonNode n) {
        int count = n.isObject() && n.has("tag") ? 1 : 0;
        for (JsonNode c : n) count += elements(c);
        return count;
    }

    private static String text(Card c) {
        return CardText.of(CardJson.tree(c), "en_us");
    }
}
