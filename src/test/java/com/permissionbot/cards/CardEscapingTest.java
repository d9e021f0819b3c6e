package com.permissionbot.cards;

import com.permissionbot.support.CardJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.chat.GrantCards;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.scopes.ApplyOutcome.Kind;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.ApplyRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile text in any variable or scope name never reaches a card as live markdown. */
class CardEscapingTest {
    static final String HOSTILE = "<at id=all></at> [x](https://evil) **b** \n# h `code` </raw><raw> ${nonce} <person id=ou_1> ~~s~~ \\ &#60;";
    private static final ScopeCards CARDS = new ScopeCards(Fixtures.RENDERER);

    private static List<Card> hostileCards() {
        ScopeStatus s = new ScopeStatus(List.of(new ScopeGrant(HOSTILE, false), new ScopeGrant("ok:" + HOSTILE, true)));
        Quota q = new Quota("t", HOSTILE, 2, false, Instant.parse("2025-01-01T00:00:00Z"), HOSTILE);
        List<Card> cards = new ArrayList<>();
        cards.add(CARDS.missing(s, q, 1, "n1"));
        cards.add(CARDS.status(s, 1));
        cards.add(CARDS.quota(q));
        cards.add(CARDS.listFailed(500, HOSTILE, HOSTILE));
        for (Kind k : Kind.values()) {
            cards.add(CARDS.outcome(new ApplyOutcome(k, 1, HOSTILE, HOSTILE, Duration.ofSeconds(3), List.of(HOSTILE), q), HOSTILE, "n1", HOSTILE));
        }
        CardRenderer r = Fixtures.RENDERER;
        cards.add(r.render("welcome", Vars.of().text("chat_name", HOSTILE)));
        cards.add(r.render("error", Vars.of().text("what_zh", HOSTILE).text("what_en", HOSTILE).text("code", HOSTILE).text("log_id", HOSTILE)));
        GrantCards grants = new GrantCards(r);
        ApplyRequest request = new ApplyRequest(1, "t", "oc_1", "om_1", HOSTILE, HOSTILE, List.of(HOSTILE), ApplyRequest.PENDING,
                Instant.parse("2025-01-01T00:00:00Z"), null, HOSTILE);
        for (String status : List.of(ApplyRequest.PENDING, ApplyRequest.PARTIAL, ApplyRequest.GRANTED, ApplyRequest.EXPIRED)) {
            cards.add(grants.opsRequest(request, status, List.of(HOSTILE), q, Instant.parse("2025-01-02T00:00:00Z"), Duration.ofDays(7),
                    "https://open.feishu.cn/app"));
        }
        ApplyRequest mine = new ApplyRequest(2, "t", "oc_1", "om_1", "ou_a", "1.0.0", List.of("im:message"), ApplyRequest.PENDING,
                Instant.parse("2025-01-01T00:00:00Z"), null, HOSTILE);
        cards.add(grants.mine(List.of(mine), Instant.parse("2025-01-02T00:00:00Z")));
        return cards;
    }

    @Test
    void hostile_text_never_appears_live() {
        for (Card c : hostileCards()) {
            ObjectNode shown = CardJson.tree(c).deepCopy();
            stripCallbackValues(shown);
            String json = shown.toString();
            for (String live : List.of("<", ">", "`", "](", "**b**", "# h", "~~", "</raw>", "${")) {
                assertFalse(json.contains(live), c.name() + " shows '" + live + "' live: " + json);
            }
            assertEquals(count(json, "at id=all"), count(json, "&#60;at id=all&#62;&#60;&#47;at&#62;"), c.name() + " shows it escaped");
        }
    }

    @Test
    void only_a_well_formed_open_id_is_shown_as_a_person_everything_else_stays_text() {
        assertEquals("<person id=ou_7d8a6e6df76></person>", Markdown.person("ou_7d8a6e6df76"));
        for (String notAnId : List.of("ou_1></person><at id=all></at>", "ou_", "ou_a b", "on_7d8a6e", "<at id=all></at>", "ou_x" + "y".repeat(70))) {
            String shown = Markdown.person(notAnId);
            assertFalse(shown.contains("<"), shown);
            assertEquals(Markdown.escape(notAnId), shown);
        }
        assertEquals("-", Markdown.person(""));
        assertEquals("-", Markdown.person(null));
        String quota = CARDS.quota(new Quota("t", "1.0.0", 1, false, Instant.parse("2025-01-01T00:00:00Z"), "ou_1><at id=all>")).toJson();
        assertFalse(quota.contains("<at") || quota.contains("<person"), quota);
    }

    @Test
    void an_entity_in_the_input_is_escaped_too() {
        String json = CARDS.listFailed(1, "&#60;at id=all&#62;", "-").toJson();
        assertTrue(json.contains("&#38;&#35;60;at id=all&#38;&#35;62;"), json);
    }

    @Test
    void callback_values_carry_the_raw_value_and_are_never_rendered() {
        Quota q = new Quota("t", "1.0-<b>", 2, false, null, null);
        Card c = CARDS.missing(new ScopeStatus(List.of(new ScopeGrant("a:b", false))), q, 1, "n1");
        JsonNode value = CardJson.tree(c).findValues("behaviors").get(0).get(0).get("value");
        assertEquals("1.0-<b>", value.get("version").asText());
    }

    @Test
    void a_scope_name_cannot_break_the_list_or_grow_without_bound() {
        String evil = "a\n- [b](https://evil)\r\n# c" + "x".repeat(5_000);
        String list = Markdown.bullets(List.of(evil, "d"));
        String[] lines = list.split("\n");
        assertEquals(2, lines.length, list);
        assertTrue(lines[0].startsWith("- a &#45; &#91;b&#93;"), lines[0]);
        assertTrue(lines[0].endsWith("\u2026"), "long items are cut");
        assertEquals("- d", lines[1]);
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    private static void stripCallbackValues(JsonNode n) {
        if (n.isObject()) {
            ((ObjectNode) n).remove("behaviors");
        }
        n.forEach(CardEscapingTest::stripCallbackValues);
    }
}
