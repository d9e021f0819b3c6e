package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.lark.oapi.core.response.RawResponse;
import com.lark.oapi.core.token.AccessTokenType;
import com.lark.oapi.service.application.v6.model.GetApplicationAppVersionReq;
import com.lark.oapi.service.application.v6.model.GetApplicationAppVersionResp;
import com.lark.oapi.service.application.v6.model.GetApplicationReq;
import com.lark.oapi.service.application.v6.model.GetApplicationResp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApplicationInfoTest {

    private Harness h;

    @BeforeEach
    void start() {
        h = Harness.start();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private GetApplicationResp me() throws Exception {
        return h.client.application().v6().application()
                .get(GetApplicationReq.newBuilder().appId("me").lang("zh_cn").build());
    }

    private GetApplicationAppVersionResp version(String id) throws Exception {
        return h.client.application().v6().applicationAppVersion().get(
                GetApplicationAppVersionReq.newBuilder().appId("me").versionId(id).lang("zh_cn").build());
    }

    @Test
    void bot_info_answers_with_the_bot_at_the_top_level() throws Exception {
        RawResponse raw = h.client.get(ApplicationApi.BOT_INFO, null, AccessTokenType.Tenant);
        assertEquals(200, raw.getStatusCode());
        JsonNode body = Envelope.JSON.readTree(raw.getBody());
        assertEquals(0, body.get("code").asInt());
        assertEquals("ou_bot_sandbox", body.get("bot").get("open_id").asText());
        assertEquals("Permission Bot", body.get("bot").get("app_name").asText());
        assertEquals(2, body.get("bot").get("activate_status").asInt());
        assertTrue(body.get("bot").get("ip_white_list").isArray());
        assertNotNull(raw.getHeaders().get("x-tt-logid"));
    }

    @Test
    void the_current_version_is_read_through_applications_me() throws Exception {
        GetApplicationResp app = me();
        assertEquals(0, app.getCode(), app.getMsg());
        assertEquals("oav_1", app.getData().getApp().getOnlineVersionId());
        assertEquals(h.emulator.config().appId(), app.getData().getApp().getAppId());

        GetApplicationAppVersionResp v = version("oav_1");
        assertEquals(0, v.getCode(), v.getMsg());
        assertEquals("1.0.0", v.getData().getAppVersion().getVersion());
        assertEquals("oav_1", v.getData().getAppVersion().getVersionId());
        assertEquals(1, v.getData().getAppVersion().getStatus());
    }

    @Test
    void publishing_a_version_moves_the_online_version() throws Exception {
        String id = h.tenant().publishVersion("2.0.0");
        assertEquals(id, me().getData().getApp().getOnlineVersionId());
        assertEquals("2.0.0", version(id).getData().getAppVersion().getVersion());
        assertEquals("1.0.0", version("oav_1").getData().getAppVersion().getVersion());
    }

    @Test
    void each_scope_carries_the_level_the_sdk_enum_names_and_high_sensitivity_ones_are_super() throws Exception {
        h.tenant().declareScope("contact:user.phone:readonly", false);
        h.tenant().markHighSensitivity("contact:user.phone:readonly");
        h.tenant().declareScope("im:message", true);
        java.util.Map<String, Integer> levels = new java.util.HashMap<>();
        for (var s : me().getData().getApp().getScopes()) levels.put(s.getScope(), s.getLevel());
        assertEquals(com.lark.oapi.service.application.v6.enums.AppScopeScopeLevelEnum.SUPER_LEVEL.getValue(),
                levels.get("contact:user.phone:readonly"));
        assertEquals(com.lark.oapi.service.application.v6.enums.AppScopeScopeLevelEnum.LOW_LEVEL.getValue(), levels.get("im:message"));
        for (var s : version("oav_1").getData().getAppVersion().getScopes()) {
            assertEquals(levels.get(s.getScope()), s.getLevel(), "the version's scopes agree with the app's: " + s.getScope());
        }
    }

    @Test
    void an_unknown_version_is_a_400_error() throws Exception {
        GetApplicationAppVersionResp v = version("oav_nope");
        assertEquals(210507, v.getCode());
        assertEquals(400, v.getRawResponse().getStatusCode());
    }

    @Test
    void app_info_needs_lang() throws Exception {
        GetApplicationResp r = h.client.application().v6().application()
                .get(GetApplicationReq.newBuilder().appId("me").build());
        assertEquals(99992402, r.getCode());
    }

    @Test
    void every_endpoint_call_is_counted() throws Exception {
        me();
        me();
        assertEquals(2, h.emulator.calls("GET", ApplicationApi.APP));
        assertEquals(1, h.emulator.calls("POST", AuthApi.TENANT_TOKEN));
        h.emulator.resetCalls();
        assertEquals(List.of(), List.copyOf(h.emulator.calls().keySet()));
    }
}
