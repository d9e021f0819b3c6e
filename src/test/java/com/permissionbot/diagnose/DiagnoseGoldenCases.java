package com.permissionbot.diagnose;

import com.permissionbot.domain.Secrets;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The diagnosis cards with realistic data, for {@code cards/CardGoldenTest} (golden files {@code golden/diagnose_*}). */
public final class DiagnoseGoldenCases {
    static final String APP_ID = "cli_a5d611352af9d00b";
    static final String NONCE = "n-5f1c2a9e";
    static final String LOG_ID = "20250314173000C5A4E1B2D3F4A5B6C7";

    private DiagnoseGoldenCases() {}

    public static Map<String, Supplier<Card>> cases(CardRenderer r) {
        DiagnoseCards cards = new DiagnoseCards(r, APP_ID, BotConfig.FEISHU_ORIGIN);
        Map<String, Supplier<Card>> c = new LinkedHashMap<>();
        List<String> three = List.of("contact:user.employee_id:readonly", "contact:user.base:readonly", "contact:user.id:readonly");
        PlatformResult<ScopeStatus> live = new PlatformResult<>(0, "success", "log-ok", 200, null, new ScopeStatus(List.of(
                new ScopeGrant("contact:user.base:readonly", true), new ScopeGrant("contact:user.employee_id:readonly", false),
                new ScopeGrant("im:message", true))));
        Quota quota = new Quota("tenant_1", "1.4.0", 3, false, Instant.parse("2025-03-14T09:30:00Z"), "ou_7d8a6e6df7621556ce0d21922b676706");

        c.put("diagnose_feishu_scope", () -> cards.appScope(feishu(PastedError.Kind.FEISHU_APP_SCOPE, "99991672", three, List.of()),
                ScopeCheck.of(three, live), quota, NONCE));
        c.put("diagnose_feishu_scope_used_up_other_app", () -> cards.appScope(
                new PastedError(PastedError.Kind.FEISHU_APP_SCOPE, "99991672", List.of("contact:user.employee_id:readonly"), LOG_ID, "",
                        "cli_b7e0c1d2e3f4a5b6", "", List.of(), 0),
                ScopeCheck.of(List.of("contact:user.employee_id:readonly"), live), new Quota("tenant_1", "1.4.0", 10, true, null, null), NONCE));
        c.put("diagnose_feishu_scope_status_failed", () -> cards.appScope(feishu(PastedError.Kind.FEISHU_APP_SCOPE, "99991672",
                        List.of("drive:drive:readonly", "drive:drive"), List.of()),
                ScopeCheck.of(List.of("drive:drive:readonly", "drive:drive"),
                        new PlatformResult<>(99991400, "request trigger frequency limit", "20250314173001AABBCCDDEEFF001122", 429, null, null)),
                null, NONCE));
        c.put("diagnose_feishu_scope_no_scopes", () -> cards.appScope(feishu(PastedError.Kind.FEISHU_APP_SCOPE, "99991672", List.of(),
                List.of(new Secrets.Found("app_secret", "Xk3\u2026(masked)"))), null, null, NONCE));
        c.put("diagnose_feishu_user", () -> cards.userScope(feishu(PastedError.Kind.FEISHU_USER_SCOPE, "99991679",
                List.of("docx:document:readonly", "docs:doc:readonly"), List.of())));
        c.put("diagnose_feishu_token", () -> cards.token(new PastedError(PastedError.Kind.FEISHU_TOKEN, "99991663", List.of(), LOG_ID, "",
                "", "user", List.of(new Secrets.Found("Bearer", "u-cxW\u2026(masked)")), 0)));
        c.put("diagnose_dingtalk", () -> cards.dingtalk(new PastedError(PastedError.Kind.DINGTALK_SCOPE, PasteReader.DINGTALK_CODE,
                List.of("Contact.User.Read"), "", "e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9", "", "",
                List.of(new Secrets.Found("ClientSecret", "Zq8\u2026(masked)")), 0)));
        c.put("diagnose_unrecognised", () -> cards.unrecognised(new PastedError(PastedError.Kind.UNRECOGNISED, "99991400", List.of(),
                "", "", "", "", List.of(), 0)));
        return c;
    }

    private static PastedError feishu(PastedError.Kind kind, String code, List<String> scopes, List<Secrets.Found> secrets) {
        return new PastedError(kind, code, scopes, LOG_ID, "", APP_ID, "", secrets, 0);
    }
}
