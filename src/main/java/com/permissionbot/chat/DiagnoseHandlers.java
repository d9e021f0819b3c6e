package com.permissionbot.chat;

import com.permissionbot.cards.CardRenderer;
import com.permissionbot.diagnose.DiagnoseCards;
import com.permissionbot.diagnose.Diagnoser;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.Store;

import java.time.Clock;

/**
 * The "pasted an error" intent. Its Apply button carries the scope cards' value
 * ({@code {action:"apply", version, nonce}}), so {@link ScopeHandlers} handles the click with the same guards.
 */
public final class DiagnoseHandlers implements Feature {
    /**
     * Over normalised text (lower case, whitespace collapsed): anything that looks like a pasted error, i.e. a Feishu
     * 9999xxxx code, a DingTalk Forbidden code or its fields, the platforms' error phrases in either language, a
     * {@code "code":}/{@code "msg":}-style field, the words error/exception/错误/报错/异常, or an HTTP status line.
     * Plain commands ("missing permissions", "help", "quota", "权限状态", "subscribe approval …") do not match.
     */
    public static final String PASTE = ".*?(?:"
            + "(?<![0-9])9999\\d{4}(?![0-9])"
            + "|forbidden\\.|accesstokenpermissiondenied|accessdenieddetail|requiredscopes"
            + "|permission_violations|access denied|one of the following scopes|required one of these privileges|re-authoriz"
            + "|invalid access token|need a token|invalid token|token (?:is |has )?expired"
            + "|应用尚未开通|应用未获取|没有调用该接口的权限"
            + "|(?<![a-z_])(?:code|errcode|error_code|errmsg|msg|error|log_id|requestid)[\"'] ?[:=]|\\b(?:err)?code ?[:=] ?-?\\d"
            + "|\\berror\\b|\\bexception\\b|错误|报错|异常"
            + "|\\bhttp/[12]|status code [1-5]\\d\\d"
            + "|\\b[45]\\d\\d (?:bad request|unauthorized|forbidden|not found|too many requests|internal server error)"
            + ").*";

    private final Diagnoser diagnoser;

    /**
     * {@code appId}: this bot's Feishu app id (config); {@code consoleOrigin}: https://open.feishu.cn or
     * https://open.larksuite.com (from the base URL), where the developer-console links point.
     */
    public DiagnoseHandlers(ScopeService scopes, CardRenderer cards, Store store, Clock clock, String appId, String consoleOrigin) {
        this.diagnoser = new Diagnoser(scopes, new DiagnoseCards(cards, appId, consoleOrigin), store, clock);
    }

    /** After the scope intents, so their exact commands win; before the approval ones ("订阅审批时报错：{…99991672…}" is a paste). */
    @Override
    public void register(Registry r) {
        r.intent("diagnose", 30, PASTE, new Registry.Help("直接粘贴报错（飞书 99991672 / 99991679，钉钉 AccessTokenPermissionDenied），我来诊断。",
                        "Paste an error (Feishu 99991672 / 99991679, DingTalk AccessTokenPermissionDenied) and I will diagnose it."),
                        c -> diagnoser.diagnose(c.message().tenantKey(), c.message().chatId(), c.message().senderOpenId(), c.message().text()))
                .templates(DiagnoseCards.TEMPLATES.toArray(String[]::new));
    }
}
