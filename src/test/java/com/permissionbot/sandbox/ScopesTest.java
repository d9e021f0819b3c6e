package com.permissionbot.sandbox;

import com.lark.oapi.service.application.v6.model.ApplyScopeResp;
import com.lark.oapi.service.application.v6.model.ListScopeResp;
import com.lark.oapi.service.application.v6.model.Scope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScopesTest {

    private Harness h;

    @BeforeEach
    void start() {
        h = Harness.start();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private ApplyScopeResp apply() throws Exception {
        return h.client.application().v6().scope().apply();
    }

    private Map<String, Integer> grantStatus() throws Exception {
        ListScopeResp r = h.client.application().v6().scope().list();
        assertEquals(0, r.getCode(), r.getMsg());
        return Arrays.stream(r.getData().getScopes()).collect(Collectors.toMap(Scope::getScopeName, Scope::getGrantStatus));
    }

    @Test
    void the_sdk_parses_the_default_grant_status() throws Exception {
        ListScopeResp r = h.client.application().v6().scope().list();
        assertEquals(0, r.getCode());
        assertEquals("success", r.getMsg());
        Scope first = r.getData().getScopes()[0];
        assertEquals("tenant", first.getScopeType());
        Map<String, Integer> status = grantStatus();
        assertEquals(1, status.get("im:message"));
        assertEquals(2, status.get("contact:user.base:readonly"));
        assertEquals(2, status.get("approval:approval"));
        assertEquals(2, status.get("contact:user.phone:readonly"));
    }

    @Test
    void listing_scopes_of_an_app_that_is_not_installed_is_212100() throws Exception {
        h.tenant().setInstalled(false);
        ListScopeResp r = h.client.application().v6().scope().list();
        assertEquals(212100, r.getCode());
        assertEquals("app not install", r.getMsg());
        assertNotNull(r.getError().getLogId());
        assertEquals(r.getError().getLogId(), r.getRawResponse().getHeaders().get("x-tt-logid").get(0));
        assertEquals(r.getError().getLogId(), r.getRequestId());
    }

    @Test
    void a_successful_apply_spends_one_application_and_leaves_it_pending() throws Exception {
        ApplyScopeResp r = apply();
        assertEquals(0, r.getCode());
        assertEquals("success", r.getMsg());
        assertEquals(1, h.emulator.appliesUsed());
        assertTrue(h.tenant().hasPendingApplication());
        assertEquals(Set.of("contact:user.base:readonly", "approval:approval", "approval:approval:readonly"),
                h.tenant().pendingScopes());
        assertEquals(1, h.emulator.applyCalls());
    }

    @Test
    void applying_again_while_pending_is_212004_and_spends_nothing() throws Exception {
        apply();
        ApplyScopeResp again = apply();
        assertEquals(212004, again.getCode());
        assertEquals("duplicate apply", again.getMsg());
        assertEquals(1, h.emulator.appliesUsed());
        assertEquals(2, h.emulator.applyCalls());
    }

    @Test
    void granting_the_pending_application_grants_its_scopes_but_not_high_sensitivity_ones() throws Exception {
        apply();
        h.tenant().grantPending();
        assertFalse(h.tenant().hasPendingApplication());
        Map<String, Integer> status = grantStatus();
        assertEquals(1, status.get("approval:approval"));
        assertEquals(2, status.get("contact:user.phone:readonly"));
    }

    @Test
    void when_only_high_sensitivity_scopes_remain_apply_is_212001() throws Exception {
        apply();
        h.tenant().grantPending();
        ApplyScopeResp r = apply();
        assertEquals(212001, r.getCode());
        assertEquals("only super scope unauthorized", r.getMsg());
        assertEquals(1, h.emulator.appliesUsed());
    }

    @Test
    void when_everything_is_granted_apply_is_212002() throws Exception {
        h.tenant().grantAll();
        ApplyScopeResp r = apply();
        assertEquals(212002, r.getCode());
        assertEquals("unauthorized scopes were empty", r.getMsg());
    }

    @Test
    void an_app_that_is_not_installed_cannot_apply() throws Exception {
        h.tenant().setInstalled(false);
        assertEquals(212100, apply().getCode());
        assertEquals(0, h.emulator.appliesUsed());
    }

    @Test
    void not_installed_wins_over_a_pending_application() throws Exception {
        apply();
        h.tenant().setInstalled(false);
        assertEquals(212100, apply().getCode());
    }

    @Test
    void the_eleventh_application_for_a_version_is_212003_until_a_new_version_is_published() throws Exception {
        for (int i = 1; i <= 10; i++) {
            assertEquals(0, apply().getCode(), "application " + i);
            h.tenant().rejectPending();
        }
        assertEquals(10, h.emulator.appliesUsed());
        ApplyScopeResp over = apply();
        assertEquals(212003, over.getCode());
        assertEquals("approval over limit", over.getMsg());
        assertEquals(10, h.emulator.appliesUsed());

        String versionId = h.tenant().publishVersion("1.1.0");
        assertTrue(versionId.startsWith("oav_"));
        assertEquals(0, h.emulator.appliesUsed());
        assertEquals(0, apply().getCode());
        assertEquals(1, h.emulator.appliesUsed());
        assertEquals(12, h.emulator.applyCalls());
    }

    @Test
    void a_pending_application_is_checked_before_the_quota() throws Exception {
        h.tenant().setAppliesUsed(9);
        assertEquals(0, apply().getCode());
        assertEquals(212004, apply().getCode());
        h.tenant().rejectPending();
        assertEquals(212003, apply().getCode());
    }

    @Test
    void granting_every_pending_scope_one_by_one_closes_the_application() throws Exception {
        apply();
        for (String s : h.tenant().pendingScopes()) {
            h.tenant().grant(s);
        }
        assertFalse(h.tenant().hasPendingApplication());
    }

    @Test
    void revoking_a_scope_makes_it_applicable_again() throws Exception {
        h.tenant().grantAll();
        h.tenant().revoke("im:message");
        assertEquals(0, apply().getCode());
        assertEquals(Set.of("im:message"), h.tenant().pendingScopes());
    }

    @Test
    void parallel_applies_spend_the_quota_once() throws Exception {
        String token = h.token();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> codes = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                codes.add(pool.submit(() -> h.call("POST", ApplicationApi.SCOPES_APPLY, null, token).body().get("code").asInt()));
            }
            int ok = 0;
            int duplicate = 0;
            for (Future<Integer> f : codes) {
                int code = f.get();
                ok += code == 0 ? 1 : 0;
                duplicate += code == 212004 ? 1 : 0;
            }
            assertEquals(1, ok);
            assertEquals(15, duplicate);
            assertEquals(1, h.emulator.appliesUsed());
            assertEquals(16, h.emulator.applyCalls());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void a_malformed_json_body_is_a_400() throws Exception {
        Harness.Reply r = h.call("POST", AuthApi.TENANT_TOKEN, "{not json", null);
        assertEquals(400, r.status());
        assertEquals(9499, r.body().get("code").asInt());
    }
}
