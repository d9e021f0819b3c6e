package com.permissionbot.diagnose;

import com.permissionbot.scopes.ConsoleLink;

import com.permissionbot.Bot;
import com.permissionbot.domain.Secrets;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.support.CardJson;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiagnoseCardsTest {
    private static final CardRenderer RENDERER = CardRenderer.load(null, Bot.templates());

    @Test
    void the_console_link_names_exactly_the_scopes_url_encoded() {
        assertEquals("https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=contact%3Auser.id%3Areadonly,im%3Achat%3Areadonly"
                        + "&op_from=openapi&token_type=tenant",
                ConsoleLink.url(BotConfig.FEISHU_ORIGIN, "cli_a5d611352af9d00b", List.of("contact:user.id:readonly", "im:chat:readonly"), "tenant"));
        assertTrue(ConsoleLink.url(BotConfig.FEISHU_ORIGIN, "cli_a5d611352af9d00b", List.of("docx:document"), "user").endsWith("&token_type=user"));
    }

    @Test
    void a_lark_tenant_gets_links_to_the_lark_console() {
        BotConfig.Feishu lark = new com.permissionbot.config.ConfigLoader(Map.of("FEISHU_APP_ID", "cli_a5d611352af9d00b",
                "FEISHU_APP_SECRET", "s", "FEISHU_VERIFICATION_TOKEN", "v", "FEISHU_ENCRYPT_KEY", "k",
                "FEISHU_BASE_URL", "https://open.larksuite.com/")).parse("").feishu();
        assertEquals(BotConfig.LARK_ORIGIN, lark.consoleOrigin());
        Card c = new DiagnoseCards(RENDERER, "cli_a5d611352af9d00b", lark.consoleOrigin()).userScope(
                PasteReader.read("{\"code\":99991679,\"msg\":\"required one of these privileges: [docx:document]\"}"));
        String json = c.toJson();
        assertTrue(json.contains("https://open.larksuite.com/app/cli_a5d611352af9d00b/auth?q=docx%3Adocument"), json);
        assertTrue(!json.contains("open.feishu.cn"), json);
    }

    @Test
    void nothing_but_strict_scope_names_and_a_plain_app_id_go_into_the_link() {
        String url = ConsoleLink.url(BotConfig.FEISHU_ORIGIN, "cli_a5d611352af9d00b",
                List.of("im:chat:readonly&token_type=user", "<at id=all>", "a:b\"onclick", "im:chat:readonly"), "tenant");
        assertEquals("https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=im%3Achat%3Areadonly&op_from=openapi&token_type=tenant", url);
        assertEquals("https://open.feishu.cn/app", ConsoleLink.url(BotConfig.FEISHU_ORIGIN, "cli_x/../../evil", List.of("im:chat:readonly"), "tenant"));
        assertEquals("https://open.feishu.cn/app", ConsoleLink.url(BotConfig.FEISHU_ORIGIN, "", List.of("im:chat:readonly"), "tenant"));
    }

    @Test
    void the_apply_button_has_the_scope_cards_value_so_the_same_handler_takes_it() {
        List<String> required = List.of("contact:user.base:readonly");
        PlatformResult<ScopeStatus> live = new PlatformResult<>(0, "success", "l", 200, null,
                new ScopeStatus(List.of(new ScopeGrant("contact:user.base:readonly", false))));
        Card c = new DiagnoseCards(RENDERER, "cli_a5d611352af9d00b", BotConfig.FEISHU_ORIGIN).appScope(
                new PastedError(PastedError.Kind.FEISHU_APP_SCOPE, "99991672", required, "", "", "", "", List.of(), 0),
                ScopeCheck.of(required, live), Quota.none("t", "1.4.0"), "n-1");
        assertEquals(Map.of("action", "apply", "version", "1.4.0", "nonce", "n-1"), CardJson.button(CardJson.tree(c), "apply"));
    }

    @Test
    void the_largest_possible_diagnosis_stays_under_the_card_limits() {
        List<String> scopes = new ArrayList<>();
        for (int i = 0; i < PasteReader.MAX_SCOPES; i++) scopes.add("a" + i + ":" + "_".repeat(70) + ":" + "-".repeat(3));
        List<String> ding = new ArrayList<>();
        for (int i = 0; i < PasteReader.MAX_SCOPES; i++) ding.add("A" + "_".repeat(79));
        List<Secrets.Found> secrets = new ArrayList<>();
        for (int i = 0; i < 20; i++) secrets.add(new Secrets.Found("_".repeat(50) + "secret_key", "…(masked)"));
        List<ScopeGrant> grants = new ArrayList<>();
        for (int i = 0; i < scopes.size(); i++) if (i % 3 != 2) grants.add(new ScopeGrant(scopes.get(i), i % 3 == 0));
        PlatformResult<ScopeStatus> live = new PlatformResult<>(0, "success", "l", 200, null, new ScopeStatus(grants));
        DiagnoseCards cards = new DiagnoseCards(RENDERER, "cli_a5d611352af9d00b", BotConfig.FEISHU_ORIGIN);
        String id = "A".repeat(80);
        PastedError feishu = new PastedError(PastedError.Kind.FEISHU_APP_SCOPE, "99991672", scopes, id, id, "cli_" + "b".repeat(40), "",
                secrets, 99);
        List<Card> all = List.of(
                cards.appScope(feishu, ScopeCheck.of(scopes, live), Quota.none("t", "9".repeat(60)), "n-1"),
                cards.appScope(feishu, ScopeCheck.of(scopes, PlatformResult.network("x".repeat(500))), null, "n-1"),
                cards.userScope(feishu),
                cards.dingtalk(new PastedError(PastedError.Kind.DINGTALK_SCOPE, PasteReader.DINGTALK_CODE, ding, "", id, "", "", secrets, 99)));
        for (Card c : all) {
            assertTrue(c.bytes() < CardRenderer.MAX_BYTES * 9 / 10, c.name() + " is " + c.bytes() + " bytes");
            assertTrue(CardRenderer.elements(CardJson.tree(c)) < 40, c.name());
        }
    }
}
