package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/** Self-built app token endpoints; tokens sit at the top level of the body, not in {@code data}. */
final class AuthApi {

    static final String TENANT_TOKEN = "/open-apis/auth/v3/tenant_access_token/internal";
    static final String APP_TOKEN = "/open-apis/auth/v3/app_access_token/internal";

    private final EmulatorConfig config;
    private final TokenStore tokens;

    AuthApi(EmulatorConfig config, TokenStore tokens) {
        this.config = config;
        this.tokens = tokens;
    }

    void register(Router r) {
        r.open(HandlerType.POST, TENANT_TOKEN, this::tenantToken);
        r.open(HandlerType.POST, APP_TOKEN, this::appToken);
    }

    /** See https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal */
    private void tenantToken(Context ctx) {
        checkCredentials(Envelope.body(ctx));
        TokenStore.Issued t = tokens.issue("tenant");
        ObjectNode body = Envelope.object().put("code", 0).put("msg", "ok")
                .put("tenant_access_token", t.token()).put("expire", t.expire());
        Envelope.topLevel(ctx, body);
    }

    /** See https://open.feishu.cn/document/server-docs/authentication-management/access-token/app_access_token_internal */
    private void appToken(Context ctx) {
        checkCredentials(Envelope.body(ctx));
        TokenStore.Issued app = tokens.issue("app");
        TokenStore.Issued tenant = tokens.issue("tenant");
        ObjectNode body = Envelope.object().put("code", 0).put("msg", "ok")
                .put("app_access_token", app.token()).put("expire", app.expire())
                .put("tenant_access_token", tenant.token());
        Envelope.topLevel(ctx, body);
    }

    private void checkCredentials(JsonNode body) {
        String appId = body.path("app_id").asText("");
        String secret = body.path("app_secret").asText("");
        if (appId.isEmpty() || secret.isEmpty()) {
            throw ApiException.bad(10003, "invalid param");
        }
        if (!appId.equals(config.appId()) || !secret.equals(config.appSecret())) {
            throw ApiException.bad(10014, "app secret invalid");
        }
    }
}
