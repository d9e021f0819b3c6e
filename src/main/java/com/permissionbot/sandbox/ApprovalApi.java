package com.permissionbot.sandbox;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.util.List;

/** Approval-definition event subscriptions. */
final class ApprovalApi {

    static final String SUBSCRIBE = "/open-apis/approval/v4/approvals/{approval_code}/subscribe";
    static final String UNSUBSCRIBE = "/open-apis/approval/v4/approvals/{approval_code}/unsubscribe";
    static final List<String> SCOPES = List.of("approval:approval", "approval:definition");

    private final TenantState tenant;

    ApprovalApi(TenantState tenant) {
        this.tenant = tenant;
    }

    void register(Router r) {
        r.secured(HandlerType.POST, SUBSCRIBE, SCOPES, this::subscribe);
        r.secured(HandlerType.POST, UNSUBSCRIBE, SCOPES, this::unsubscribe);
    }

    /** See https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe */
    private void subscribe(Context ctx) {
        answer(ctx, tenant.subscribe(ctx.pathParam("approval_code")));
    }

    /** See https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/approval-v4/approval/unsubscribe */
    private void unsubscribe(Context ctx) {
        answer(ctx, tenant.unsubscribe(ctx.pathParam("approval_code")));
    }

    private static void answer(Context ctx, Outcome outcome) {
        if (!outcome.ok()) {
            throw ApiException.bad(outcome);
        }
        Envelope.success(ctx, Envelope.object());
    }
}
