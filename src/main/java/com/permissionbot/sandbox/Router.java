package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

import java.util.List;

/** Registers endpoints with call counting, the access-token check and, when enabled, the scope check. */
final class Router {

    static final String NEED_TOKEN = "Need a token";
    static final String INVALID_TOKEN =
            "Invalid access token for authorization. Please make a request with token attached";

    private final Javalin app;
    private final TokenStore tokens;
    private final RequestLog log;
    private final TenantState tenant;
    private final String appId;

    Router(Javalin app, TokenStore tokens, RequestLog log, TenantState tenant, String appId) {
        this.app = app;
        this.tokens = tokens;
        this.log = log;
        this.tenant = tenant;
        this.appId = appId;
    }

    void open(HandlerType method, String path, Handler handler) {
        String key = RequestLog.key(method.name(), path);
        app.addHttpHandler(method, path, ctx -> {
            log.count(key);
            handler.handle(ctx);
        });
    }

    void secured(HandlerType method, String path, List<String> anyScope, Handler handler) {
        String key = RequestLog.key(method.name(), path);
        app.addHttpHandler(method, path, ctx -> {
            log.count(key);
            authorize(ctx);
            requireScope(anyScope);
            handler.handle(ctx);
        });
    }

    /** See https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
    void authorize(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw ApiException.bad(99991661, NEED_TOKEN);
        }
        String token = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : header.trim();
        if (token.isEmpty()) {
            throw ApiException.bad(99991661, NEED_TOKEN);
        }
        if (token.startsWith("u-")) {
            throw ApiException.bad(99991668, INVALID_TOKEN);
        }
        if (!token.startsWith("t-")) {
            throw ApiException.bad(99991671, "Invalid token: must start with t-/u-");
        }
        if (!tokens.valid(token)) {
            throw ApiException.bad(99991663, INVALID_TOKEN);
        }
    }

    /** See https://open.feishu.cn/document/faq/trouble-shooting/how-to-fix-the-99991672-error */
    private void requireScope(List<String> anyScope) {
        if (anyScope.isEmpty() || !tenant.enforceScopes() || tenant.anyGranted(anyScope)) {
            return;
        }
        String list = "[" + String.join(", ", anyScope) + "]";
        String link = "https://open.feishu.cn/app/" + appId + "/auth?q=" + String.join(",", anyScope)
                + "&op_from=openapi&token_type=tenant";
        ObjectNode error = Envelope.object().put("message",
                "Refer to the documentation to fix the error: https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error");
        ArrayNode violations = error.putArray("permission_violations");
        anyScope.forEach(s -> violations.addObject().put("type", "action_scope_required").put("subject", s));
        error.putArray("helps").addObject().put("url", link)
                .put("description", "Learn more about scopes and how to add them: " + list);
        throw new ApiException(400, 99991672, "Access denied. One of the following scopes is required: " + list
                + ".应用尚未开通所需的应用身份权限：" + list + "，点击链接申请并开通任一权限即可：" + link, error);
    }
}
