package com.permissionbot.sandbox;

import com.lark.oapi.service.approval.v4.model.SubscribeApprovalReq;
import com.lark.oapi.service.approval.v4.model.SubscribeApprovalResp;
import com.lark.oapi.service.approval.v4.model.UnsubscribeApprovalReq;
import com.lark.oapi.service.approval.v4.model.UnsubscribeApprovalResp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApprovalTest {

    private static final String CODE = TenantState.SAMPLE_APPROVAL_CODE;

    private Harness h;

    @BeforeEach
    void start() {
        h = Harness.start();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private SubscribeApprovalResp subscribe(String code) throws Exception {
        return h.client.approval().v4().approval().subscribe(SubscribeApprovalReq.newBuilder().approvalCode(code).build());
    }

    private UnsubscribeApprovalResp unsubscribe(String code) throws Exception {
        return h.client.approval().v4().approval()
                .unsubscribe(UnsubscribeApprovalReq.newBuilder().approvalCode(code).build());
    }

    @Test
    void subscribing_a_known_definition_succeeds_once() throws Exception {
        SubscribeApprovalResp first = subscribe(CODE);
        assertEquals(0, first.getCode());
        assertTrue(h.tenant().isSubscribed(CODE));
        SubscribeApprovalResp second = subscribe(CODE);
        assertEquals(1390007, second.getCode());
        assertEquals("subscription existed", second.getMsg());
    }

    @Test
    void subscribing_an_unknown_definition_is_1390002() throws Exception {
        SubscribeApprovalResp r = subscribe("0000-NOPE");
        assertEquals(1390002, r.getCode());
        assertEquals("approval code not found", r.getMsg());
    }

    @Test
    void an_odd_approval_code_is_1390001() throws Exception {
        assertEquals(1390001, subscribe("a b").getCode());
        Harness.Reply empty = h.call("POST", "/open-apis/approval/v4/approvals//subscribe", null, h.token());
        assertEquals(400, empty.status());
        assertEquals(1390001, empty.body().get("code").asInt());
        assertEquals("param is invalid", empty.body().get("msg").asText());
    }

    @Test
    void an_empty_approval_code_still_needs_a_token() throws Exception {
        Harness.Reply r = h.call("POST", "/open-apis/approval/v4/approvals//subscribe", null, null);
        assertEquals(99991661, r.body().get("code").asInt());
    }

    @Test
    void unsubscribing_removes_the_subscription() throws Exception {
        subscribe(CODE);
        assertEquals(0, unsubscribe(CODE).getCode());
        assertFalse(h.tenant().isSubscribed(CODE));
        assertEquals(1390007, unsubscribe(CODE).getCode());
        assertEquals(1390002, unsubscribe("0000-NOPE").getCode());
    }

    @Test
    void with_scope_enforcement_on_subscribing_without_approval_scope_is_99991672() throws Exception {
        h.tenant().setEnforceScopes(true);
        SubscribeApprovalResp r = subscribe(CODE);
        assertEquals(99991672, r.getCode());
        assertTrue(r.getMsg().startsWith(
                "Access denied. One of the following scopes is required: [approval:approval, approval:definition]"),
                r.getMsg());
        assertEquals("approval:approval", r.getError().getPermissionViolations()[0].getSubject());
        h.tenant().grant("approval:approval");
        assertEquals(0, subscribe(CODE).getCode());
    }
}
