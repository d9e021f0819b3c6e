package com.permissionbot.approval;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.ApprovalStatusChange;
import com.permissionbot.store.ApprovalSubscription;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Every approval card with realistic data, for the golden-file test of the cards package. */
public final class ApprovalGoldenCases {
    static final String CODE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    static final String INSTANCE = "81D31358-93AF-92D6-7425-01A5D67C4E71";
    static final String LOG_ID = "20250314173000C5A4E1B2D3F4A5B6C7";
    static final String REQUESTER = "ou_7d8a6e6df7621556ce0d21922b676706";
    static final Instant AT = Instant.parse("2025-03-14T09:30:00Z");

    private ApprovalGoldenCases() {}

    /** Case name to card; each approval template is rendered at least once. */
    public static Map<String, Supplier<Card>> cases(CardRenderer r) {
        ApprovalCards cards = new ApprovalCards(r);
        Map<String, Supplier<Card>> c = new LinkedHashMap<>();
        c.put("approval_invalid_code", () -> cards.invalidCode("7C468A54 <at id=all></at>"));
        c.put("approval_invalid_code_empty", () -> cards.invalidCode(""));
        c.put("approval_subscribed", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.SUBSCRIBED, 0, "success", null)));
        c.put("approval_subscribed_again", () -> cards.subscribed(new SubscribeOutcome(SubscribeOutcome.Kind.ALREADY_SUBSCRIBED, CODE,
                1390007, "subscription existed", LOG_ID, null, 1, new ApprovalSubscription(CODE, "oc_1", "t1", REQUESTER, AT))));
        c.put("approval_param_invalid", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.PARAM_INVALID, 1390001, "param is invalid", null)));
        c.put("approval_not_found", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.NOT_FOUND, 1390002, "approval code not found", null)));
        c.put("approval_service_error", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.SERVICE_ERROR, 1395001,
                "There have been some errors. Please try again later", null)));
        c.put("approval_missing_scope", () -> cards.missingScope(outcome(SubscribeOutcome.Kind.MISSING_SCOPE, 99991672,
                        "Access denied. One of the following scopes is required: [approval:approval, approval:definition].", null),
                new ScopeStatus(List.of(new ScopeGrant("im:message", true), new ScopeGrant("approval:approval", false))),
                new Quota("t1", "1.4.0", 3, false, AT, REQUESTER), "n-5f1c2a9e"));
        c.put("approval_missing_scope_undeclared", () -> cards.missingScope(outcome(SubscribeOutcome.Kind.MISSING_SCOPE, 99991672, "", null),
                new ScopeStatus(List.of(new ScopeGrant("im:message", true))), new Quota("t1", "1.4.0", 3, false, AT, REQUESTER), "n-5f1c2a9e"));
        c.put("approval_rate_limited", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.RATE_LIMITED, 99991400,
                "request trigger frequency limit", Duration.ofMillis(12_400))));
        c.put("approval_failed", () -> cards.subscribed(outcome(SubscribeOutcome.Kind.FAILED, 99991663, "tenant access token invalid", null)));
        c.put("approval_failed_uncertain", () -> cards.subscribed(new SubscribeOutcome(SubscribeOutcome.Kind.UNCERTAIN, CODE, -1,
                "timeout after 5s", "", null, 3, null)));
        c.put("approval_unsubscribed", () -> cards.unsubscribed(new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, CODE, 0,
                false, true, 0, "success", LOG_ID, null)));
        c.put("approval_unsubscribed_kept", () -> cards.unsubscribed(new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, CODE, 2,
                false, false, 0, "", "", null)));
        c.put("approval_unsubscribed_failed", () -> cards.unsubscribed(new UnsubscribeOutcome(UnsubscribeOutcome.Kind.UNSUBSCRIBED, CODE, 0,
                false, true, 1395001, "There have been some errors. Please try again later", LOG_ID, null)));
        c.put("approval_not_subscribed", () -> cards.unsubscribed(new UnsubscribeOutcome(UnsubscribeOutcome.Kind.NOT_SUBSCRIBED, CODE, 1,
                false, false, 0, "", "", null)));
        c.put("approval_subscriptions", () -> cards.subscriptions(List.of(new ApprovalSubscription(CODE, "oc_1", "t1", REQUESTER, AT),
                new ApprovalSubscription(INSTANCE, "oc_1", "t1", "ou_2", AT.plusSeconds(3600)))));
        c.put("approval_subscriptions_empty", () -> cards.subscriptions(List.of()));
        c.put("approval_instance", () -> cards.instance(CODE, INSTANCE, List.of(
                new ApprovalStatusChange("PENDING", AT, "u1"),
                new ApprovalStatusChange("APPROVED", AT.plusSeconds(600), "u2"),
                new ApprovalStatusChange("REVERTED", AT.plusSeconds(7200), "u3"))));
        c.put("approval_instance_unknown", () -> cards.instance(CODE, INSTANCE, List.of(
                new ApprovalStatusChange("PENDING", AT, "u1"), new ApprovalStatusChange("TRANSFERRED", AT.plusSeconds(60), "u2"))));
        return c;
    }

    private static SubscribeOutcome outcome(SubscribeOutcome.Kind kind, int code, String msg, Duration wait) {
        return new SubscribeOutcome(kind, CODE, code, msg, LOG_ID, wait, kind == SubscribeOutcome.Kind.SERVICE_ERROR ? 3 : 1, null);
    }
}
