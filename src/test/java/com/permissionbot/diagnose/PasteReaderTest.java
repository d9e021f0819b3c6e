package com.permissionbot.diagnose;

import com.permissionbot.chat.DiagnoseHandlers;
import com.permissionbot.chat.IntentRouter;
import com.permissionbot.chat.Registry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading details beyond the corpus, and which messages the diagnose intent takes. */
class PasteReaderTest {
    private static final IntentRouter ROUTER = new IntentRouter(new Registry().intent("diagnose", 30, DiagnoseHandlers.PASTE, c -> null).intents());

    private static boolean routed(String text) {
        return ROUTER.route(text).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"missing permissions", "which permissions are missing?", "缺少哪些权限", "缺什么权限？", "还缺哪些权限呢",
            "what scopes are missing", "help", "帮助", "?", "menu", "quota", "额度", "申请次数", "还能申请几次",
            "permission status", "权限状态", "all permissions", "status", "subscribe approval 7C468A54-8745-2245-9675-08B7C63E7A85",
            "订阅审批 7C468A54-8745-2245-9675-08B7C63E7A85", "unsubscribe approval 7C468A54-8745-2245-9675-08B7C63E7A85",
            "approval subscriptions", "hello", "谢谢", "@_user_1 missing scopes", "apply"})
    void ordinary_commands_are_not_taken_for_pastes(String said) {
        assertFalse(routed(said), said);
    }

    static Stream<String> corpus() throws IOException {
        return PasteCorpusTest.pastes();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void every_paste_in_the_corpus_reaches_the_diagnosis(String name) throws IOException {
        assertTrue(routed(PasteCorpusTest.paste(name)), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"99991672", "我调接口报错了", "error", "got an Exception", "{\"code\": 1}", "code=230002",
            "HTTP/1.1 403 Forbidden", "Request failed with status code 400", "Forbidden.AccessDenied.IpNotInWhiteList",
            "接口返回错误码 99991663", "Invalid access token for authorization", "＂ｃｏｄｅ＂：９９９９１６７２"})
    void short_error_reports_reach_the_diagnosis_too(String said) {
        assertTrue(routed(said), said);
    }

    @Test
    void the_largest_block_wins_and_prose_braces_do_not_confuse_it() {
        String text = "my config {debug} is fine, the answer was {\"code\":99991672,\"msg\":\"x\",\"error\":{\"log_id\":\"20250314173000C5A4E1B2D3\","
                + "\"permission_violations\":[{\"type\":\"action_scope_required\",\"subject\":\"im:chat:readonly\"}]}} see {x}";
        PastedError e = PasteReader.read(text);
        assertEquals(PastedError.Kind.FEISHU_APP_SCOPE, e.kind());
        assertEquals(List.of("im:chat:readonly"), e.scopes());
        assertEquals("20250314173000C5A4E1B2D3", e.logId());
    }

    @Test
    void scopes_are_deduplicated_kept_in_order_and_capped() {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 14; i++) list.append(i == 0 ? "" : ", ").append("drive:file").append(i).append(":readonly");
        PastedError e = PasteReader.read("Access denied. One of the following scopes is required: [" + list + "].应用尚未开通所需的应用身份权限：["
                + list + "]");
        assertEquals(PasteReader.MAX_SCOPES, e.scopes().size());
        assertEquals("drive:file0:readonly", e.scopes().get(0));
        assertEquals(14 - PasteReader.MAX_SCOPES, e.moreScopes());
    }

    @Test
    void names_that_are_not_scopes_never_come_through() {
        PastedError e = PasteReader.read("{\"code\":99991672,\"error\":{\"permission_violations\":[{\"subject\":\"<at id=all></at>\"},"
                + "{\"subject\":\"im:chat:readonly) [x](https://evil\"},{\"subject\":\"IM:CHAT\"},{\"subject\":\"" + "a:" + "b".repeat(90) + "\"}]}}");
        assertEquals(PastedError.Kind.FEISHU_APP_SCOPE, e.kind());
        assertEquals(List.of(), e.scopes());
    }

    @Test
    void the_first_known_code_decides_and_unknown_codes_are_kept_for_the_card() {
        assertEquals(PastedError.Kind.FEISHU_USER_SCOPE, PasteReader.read("{\"code\":500,\"data\":{\"code\":99991679}}").kind());
        PastedError other = PasteReader.read("{\"code\":230002,\"msg\":\"Bot/User can NOT be out of the chat.\"}");
        assertEquals(PastedError.Kind.UNRECOGNISED, other.kind());
        assertEquals("230002", other.code());
    }

    @Test
    void a_log_id_cut_off_at_the_end_of_the_paste_is_not_reported() {
        assertEquals("", PasteReader.read("{\"code\":99991672,\"error\":{\"log_id\":\"2025031417300").logId());
    }

    @Test
    void hostile_sizes_and_shapes_are_read_quickly() {
        List<String> pastes = List.of("{".repeat(200_000), "[".repeat(200_000), "{\"a\":".repeat(20_000) + "1" + "}".repeat(20_000),
                "\"".repeat(100_000), "99991672 " + "required one of these privileges: [".repeat(5_000),
                "One of the following scopes is required: [" + "a:b, ".repeat(50_000), "app_secret=" + "x1".repeat(100_000));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (String p : pastes) {
                PasteReader.read(p);
                routed(p);
            }
        });
    }
}
