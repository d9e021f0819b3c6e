package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.util.List;

/** The bot's own info, the tenant's grant status, the apply API, and app/version info. */
final class ApplicationApi {

    static final String BOT_INFO = "/open-apis/bot/v3/info";
    static final String SCOPES = "/open-apis/application/v6/scopes";
    static final String SCOPES_APPLY = "/open-apis/application/v6/scopes/apply";
    static final String APP = "/open-apis/application/v6/applications/{app_id}";
    static final String APP_VERSION = "/open-apis/application/v6/applications/{app_id}/app_versions/{version_id}";

    static final int LOW_LEVEL = 1;
    static final int SUPER_LEVEL = 3;

    static final List<String> APP_INFO_SCOPES =
            List.of("application:application:self_manage", "admin:app.info:readonly");
    static final List<String> APP_VERSION_SCOPES =
            List.of("application:application:self_manage", "application:application.app_version:readonly");

    private final EmulatorConfig config;
    private final TenantState tenant;

    ApplicationApi(EmulatorConfig config, TenantState tenant) {
        this.config = config;
        this.tenant = tenant;
    }

    void register(Router r) {
        r.secured(HandlerType.GET, BOT_INFO, List.of(), this::botInfo);
        r.secured(HandlerType.GET, SCOPES, List.of(), this::listScopes);
        r.secured(HandlerType.POST, SCOPES_APPLY, List.of(), this::applyScopes);
        r.secured(HandlerType.GET, APP, APP_INFO_SCOPES, this::app);
        r.secured(HandlerType.GET, APP_VERSION, APP_VERSION_SCOPES, this::appVersion);
    }

    /** See https://open.feishu.cn/document/ukTMukTMukTM/uAjMxEjLwITMx4CMyETM */
    private void botInfo(Context ctx) {
        ObjectNode bot = Envelope.object()
                .put("activate_status", tenant.installed() ? 2 : 0)
                .put("app_name", config.botName())
                .put("avatar_url", "");
        bot.putArray("ip_white_list");
        bot.put("open_id", config.botOpenId());
        ObjectNode body = Envelope.object().put("code", 0).put("msg", "ok");
        body.set("bot", bot);
        Envelope.topLevel(ctx, body);
    }

    /** See https://open.feishu.cn/document/application-v6/scope/list */
    private void listScopes(Context ctx) {
        if (!tenant.installed()) {
            throw ApiException.bad(TenantState.NOT_INSTALLED);
        }
        ObjectNode data = Envelope.object();
        ArrayNode scopes = data.putArray("scopes");
        for (TenantState.ScopeGrant s : tenant.scopes()) {
            scopes.addObject().put("scope_name", s.name()).put("grant_status", s.granted() ? 1 : 2)
                    .put("scope_type", "tenant");
        }
        Envelope.success(ctx, data);
    }

    /** See https://open.feishu.cn/document/application-v6/scope/apply */
    private void applyScopes(Context ctx) {
        Outcome outcome = tenant.apply();
        if (!outcome.ok()) {
            throw ApiException.bad(outcome);
        }
        Envelope.success(ctx, Envelope.object());
    }

    /** See https://open.feishu.cn/document/server-docs/application-v6/application/get */
    private void app(Context ctx) {
        String lang = checkAppAndLang(ctx);
        ObjectNode app = Envelope.object()
                .put("app_id", config.appId())
                .put("status", 1)
                .put("scene_type", 0)
                .put("payment_type", 0)
                .put("online_version_id", tenant.onlineVersion().versionId())
                .put("unaudit_version_id", "")
                .put("app_name", config.botName())
                .put("avatar_url", "")
                .put("description", "")
                .put("primary_language", "zh_cn");
        app.set("scopes", appScopes());
        app.putArray("i18n").addObject().put("i18n_key", lang).put("name", config.botName()).put("description", "");
        app.putArray("common_categories");
        ObjectNode data = Envelope.object();
        data.set("app", app);
        Envelope.success(ctx, data);
    }

    /** See https://open.feishu.cn/document/server-docs/application-v6/application/get-2 */
    private void appVersion(Context ctx) {
        checkAppAndLang(ctx);
        String versionId = ctx.pathParam("version_id");
        TenantState.AppVersion v = tenant.version(versionId)
                .orElseThrow(() -> ApiException.bad(210507, "no such app version, ext=" + versionId));
        ObjectNode version = Envelope.object()
                .put("app_id", config.appId())
                .put("version", v.version())
                .put("version_id", v.versionId())
                .put("app_name", config.botName())
                .put("avatar_url", "")
                .put("description", "")
                .put("status", 1)
                .put("create_time", Long.toString(v.createTime().getEpochSecond()))
                .put("publish_time", Long.toString(v.publishTime().getEpochSecond()));
        version.set("scopes", appScopes());
        ObjectNode data = Envelope.object();
        data.set("app_version", version);
        Envelope.success(ctx, data);
    }

    private String checkAppAndLang(Context ctx) {
        String appId = ctx.pathParam("app_id");
        if (!appId.equals("me") && !appId.equals(config.appId())) {
            if (!appId.startsWith("cli_")) {
                throw ApiException.bad(210503, "invalid app_id");
            }
            throw ApiException.bad(210506, "no such app");
        }
        String lang = ctx.queryParam("lang");
        if (lang == null || lang.isBlank()) {
            throw ApiException.fieldValidation("lang is required");
        }
        return lang;
    }

    /**
     * The app's declared scopes with their level as the SDK's {@code AppScopeScopeLevelEnum} numbers it (1 low, 2 high,
     * 3 super): the tenant's high-sensitivity scopes, which the apply API leaves out (212001 "only super scope
     * unauthorized"), are level 3; every other scope is level 1.
     */
    private ArrayNode appScopes() {
        ArrayNode scopes = Envelope.JSON.createArrayNode();
        for (TenantState.ScopeGrant s : tenant.scopes()) {
            ObjectNode scope = scopes.addObject().put("scope", s.name()).put("description", "")
                    .put("level", s.highSensitivity() ? SUPER_LEVEL : LOW_LEVEL);
            scope.putArray("token_types").add("tenant");
        }
        return scopes;
    }
}
