package com.permissionbot.approval;

import com.permissionbot.Bot;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.store.ApprovalSubscription;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The approval templates are registered, render with realistic data, and keep user text inert. */
class ApprovalCardsTest {
    static final CardRenderer RENDERER = CardRenderer.load(null, Bot.templates());

    @Test
    void every_approval_template_is_registered_and_rendered_by_a_golden_case() {
        assertTrue(Bot.templates().containsAll(ApprovalCards.TEMPLATES));
        Set<String> rendered = new HashSet<>();
        ApprovalGoldenCases.cases(RENDERER).forEach((name, card) -> {
            Card c = card.get();
            rendered.add(c.name());
            assertFalse(c.toJson().contains("${"), name);
            assertFalse(c.toJson().contains("<at"), name);
        });
        assertEquals(Set.copyOf(ApprovalCards.TEMPLATES), rendered);
    }

    @Test
    void a_99991672_message_names_the_scopes_to_diagnose() {
        assertEquals(List.of("approval:approval", "approval:definition"), ApprovalCards.requiredScopes(
                "Access denied. One of the following scopes is required: [approval:approval, approval:definition].应用尚未开通所需的应用身份权限：[approval:approval, approval:definition]"));
        assertEquals(ApprovalCards.SUBSCRIBE_SCOPES, ApprovalCards.requiredScopes("code 99991672"));
        assertEquals(ApprovalCards.SUBSCRIBE_SCOPES, ApprovalCards.requiredScopes("[<at id=all></at>]"));
        assertEquals(ApprovalCards.SUBSCRIBE_SCOPES, ApprovalCards.requiredScopes(null));
    }

    @Test
    void subscribers_are_shown_by_name_a_malformed_id_stays_text_and_the_longest_list_fits() {
        Instant at = Instant.parse("2025-03-14T09:30:00Z");
        List<ApprovalSubscription> subs = new ArrayList<>();
        subs.add(new ApprovalSubscription("7C468A54-8745-2245-9675-08B7C63E7A85", "oc_1", "t1", "ou_1><at id=all></at>", at));
        for (int i = 1; i < 60; i++) {
            subs.add(new ApprovalSubscription(String.format("%08X-8745-2245-9675-08B7C63E7A85", i), "oc_1", "t1",
                    "ou_" + "7d8a6e6df7621556ce0d21922b67670".repeat(2), at));
        }
        String json = new ApprovalCards(RENDERER).subscriptions(subs).toJson();
        assertFalse(json.contains("<at"), json);
        assertTrue(json.contains("ou&#95;1&#62;&#60;at id=all&#62;"), json);
        assertTrue(json.contains("<person id=ou_7d8a6e6df7621556ce0d21922b67670"), json);
    }

    @Test
    void codes_are_checked_for_shape_and_length() {
        for (String ok : List.of("7C468A54-8745-2245-9675-08B7C63E7A85", "ABCDEFGH", "a".repeat(64), "12345678")) {
            assertTrue(ApprovalCode.valid(ok), ok);
        }
        for (String bad : List.of("", "ABCDEFG", "a".repeat(65), "--------", "7C468A54_8745", "7C468A54 8745", "7C46/8A54", "审批审批审批审批")) {
            assertFalse(ApprovalCode.valid(bad), bad);
        }
    }
}
