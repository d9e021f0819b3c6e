package com.permissionbot.domain;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretsTest {
    static final String SECRET = "Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0";
    static final String TENANT_TOKEN = "t-g1043ehJRUIJJ5ELPFFBCSRDNQ2WEKK3EBN2JRFX";
    static final String USER_TOKEN = "u-cxWPuKzbp0aF5lr4Tp4blM4ghOK0g4bxqM00l4Ak24aX";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"app_secret\": \"Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0\"}|{\"app_secret\": \"Xk3…(masked)\"}",
            "appSecret=Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0&appId=cli_a5d611352af9d00b|appSecret=Xk3…(masked)&appId=cli_a5d611352af9d00b",
            "client_secret: 'Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0'|client_secret: 'Xk3…(masked)'",
            "ClientSecret = \"Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0\"|ClientSecret = \"Xk3…(masked)\"",
            "\"tenant_access_token\":\"t-g1043ehJRUIJJ5ELPFFBCSRDNQ2WEKK3EBN2JRFX\"|\"tenant_access_token\":\"t-g10…(masked)\"",
            "Authorization: Bearer u-cxWPuKzbp0aF5lr4Tp4blM4ghOK0g4bxqM00l4Ak24aX|Authorization: Bearer u-cxW…(masked)",
            "token is t-g1043ehJRUIJJ5ELPFFBCSRDNQ2WEKK3EBN2JRFX.|token is t-g10…(masked).",
            "GET /v1.0/contact/users?access_token=6d1b2c3d4e5f60718293a4b5c6d7e8f9 HTTP/1.1|GET /v1.0/contact/users?access_token=6d1…(masked) HTTP/1.1",
            "x-acs-dingtalk-access-token: 6d1b2c3d4e5f60718293a4b5c6d7e8f9|x-acs-dingtalk-access-token: 6d1…(masked)",
            "encrypt_key=k3yK3yk3yK3y1234|encrypt_key=k3y…(masked)",
            "password: hunter22|password: …(masked)",
            "u-3s_Kc3uYlAbCdEfGhIjKlMnOp|u-3s_…(masked)",
            "a-g1043e-hJRUIJJ5ELPFF_BCSRDN and more|a-g10…(masked) and more",
            "(t-g1043ehJRU_IJJ5ELPFF-BCSRDNQ2)|(t-g10…(masked))"})
    void secret_values_are_masked_keeping_a_short_prefix(String pasted, String masked) {
        assertEquals(masked, Secrets.mask(pasted));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"app_secret\":\"Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0\"}|{\"app_secret\":\"Xk3…(masked)\"}",
            "app_secret=Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0|app_secret=Xk3…(masked)",
            "APP_SECRET = Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0|APP_SECRET = Xk3…(masked)",
            "app_secret：Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0（刚生成的）|app_secret：Xk3…(masked)（刚生成的）",
            "\"app_secret\" => \"Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0\",|\"app_secret\" => \"Xk3…(masked)\",",
            "appSecret := Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0|appSecret := Xk3…(masked)",
            "the app_secret is Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0.|the app_secret is Xk3…(masked).",
            "我的 app_secret 是 Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0，帮我看看|我的 app_secret 是 Xk3…(masked)，帮我看看",
            "app_secret为Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0|app_secret为Xk3…(masked)"})
    void a_plain_text_app_secret_is_masked_like_the_json_form(String pasted, String masked) {
        assertEquals(masked, Secrets.mask(pasted));
        assertEquals(List.of("Xk3…(masked)"), Secrets.scan(pasted).found().stream().map(Secrets.Found::masked).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "the token is expired, what now?",
            "app_secret 是什么？在哪里可以找到它，开发者后台的凭证与基础信息页面吗",
            "token：我已经按照文档每两个小时刷新一次了但是还是过期，为什么呢"})
    void prose_after_a_secret_word_is_not_taken_for_a_secret(String text) {
        assertEquals(text, Secrets.mask(text));
    }

    @Test
    void the_cheap_look_never_hides_a_secret_that_masking_would_find() throws Exception {
        List<String> texts = new ArrayList<>(List.of("u-3s_Kc3uYlAbCdEfGhIjKlMnOp", "x u-3s_Kc3uYlAbCdEfGh.IjKlMnOp",
                "Authorization: u-3s-Kc3uYlAbCdEfGhIjKlMnOp", "a-0123456789abcdef", "t-a.b.c.d.e.f.g.h.i"));
        try (var files = Files.list(Path.of("src/test/resources/pastes"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).toList()) texts.add(Files.readString(f));
        }
        List<String> pieces = List.of("t-", "u-", "a-", "_", "-", ".", "x", "Q", "7", "0", " ", "\n", "secret", "TOKEN", "Bearer ",
                "passwd", "Encrypt_Key", "=", ":", "：", " is ", "是", "\"", "'", "\\\"", "中文", "Xk3vB9qLmN2p", "cli_a5d6", "-ab", "ztu-");
        Random random = new Random(14);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(24); n >= 0; n--) b.append(pieces.get(random.nextInt(pieces.size())));
            texts.add(b.toString());
        }
        int secrets = 0;
        for (String t : texts) {
            boolean found = Secrets.scanEverything(t).any();
            if (found) secrets++;
            assertTrue(!found || Secrets.mayHold(t), "the cheap look misses a secret in: " + t);
        }
        assertTrue(secrets > 1_000, "the generated texts hold secrets: " + secrets);
        for (String ordinary : List.of("missing permissions", "缺少哪些权限", "quota", "订阅审批 7C468A54-8745-2245-9675-08B7C63E7A85",
                "{\"code\":99991672,\"msg\":\"Access denied. One of the following scopes is required: [im:message]\"}")) {
            assertFalse(Secrets.mayHold(ordinary), "ordinary text skips the masking: " + ordinary);
        }
    }

    @Test
    void masking_twice_changes_nothing() {
        String text = "{\"app_secret\":\"" + SECRET + "\"} Bearer " + USER_TOKEN + " token " + TENANT_TOKEN
                + " tenant_access_token=" + TENANT_TOKEN;
        String once = Secrets.mask(text);
        assertEquals(once, Secrets.mask(once));
        assertEquals(sorted(Secrets.scan(text).found()), sorted(Secrets.scan(once).found()),
                "what an earlier pass masked is found again, so a diagnosis still warns about it");
        for (String s : List.of(SECRET, USER_TOKEN, TENANT_TOKEN)) assertFalse(once.contains(s.substring(6)), once);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "https://open.feishu.cn/app/cli_a5d611352af9d00b/auth?q=im:chat:readonly&op_from=openapi&token_type=tenant",
            "{\"code\":99991671,\"msg\":\"Invalid token: must start with t-/u-\"}",
            "Invalid access token for authorization. Please make a request with token attached.",
            "\"log_id\": \"202307211618216F3E9EB64DC7E1234\"",
            "POST /open-apis/auth/v3/tenant_access_token/internal",
            "\"expire\": 7200, \"requestid\": \"e64a36ef-2fb4-4bc5-bbd8-80e0f54218f9\"",
            "contact:user.employee_id:readonly, im:message.group_at_msg:readonly",
            "ClientID dingq7xkzn0pqw5abcde, app_id cli_a5d611352af9d00b"})
    void ordinary_error_text_is_left_alone(String text) {
        Secrets.Masked m = Secrets.scan(text);
        assertEquals(text, m.text());
        assertFalse(m.any());
    }

    @Test
    void json_stays_json_and_a_payload_with_an_escaped_message_is_masked_too() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String body = "{\"app_id\":\"cli_a5d611352af9d00b\",\"app_secret\":\"" + SECRET + "\",\"tenant_access_token\":\"" + TENANT_TOKEN + "\"}";
        String masked = Secrets.mask(body);
        assertDoesNotThrow(() -> json.readTree(masked));
        assertEquals("t-g10…(masked)", json.readTree(masked).get("tenant_access_token").asText());

        String event = json.createObjectNode().put("content", json.createObjectNode()
                .put("text", "my app_secret: " + SECRET + " and Bearer " + USER_TOKEN).toString()).toString();
        String stored = Secrets.mask(event);
        assertFalse(stored.contains(SECRET), stored);
        assertFalse(stored.contains(USER_TOKEN.substring(6)), stored);
        String inner = json.readTree(json.readTree(stored).get("content").asText()).get("text").asText();
        assertEquals("my app_secret: Xk3…(masked) and Bearer u-cxW…(masked)", inner);
    }

    @Test
    void scan_names_what_it_masked_and_the_token_type() {
        Secrets.Masked m = Secrets.scan("ClientSecret=" + SECRET + " Authorization: Bearer " + USER_TOKEN + " then " + TENANT_TOKEN);
        assertEquals(List.of("ClientSecret", "Bearer", "token"), m.found().stream().map(Secrets.Found::label).toList());
        assertEquals(List.of("", "user", "tenant"), m.found().stream().map(Secrets.Found::tokenType).toList());
    }

    @Test
    void a_token_the_inbox_masked_before_storing_still_tells_its_type() {
        Secrets.Masked again = Secrets.scan(Secrets.mask("sent u-3s_Kc3uYlAbCdEfGhIjKlMnOp, then Bearer " + TENANT_TOKEN
                + " and app_secret=" + SECRET));
        assertEquals(List.of("token", "Bearer", "app_secret"), again.found().stream().map(Secrets.Found::label).toList());
        assertEquals(List.of("user", "tenant", ""), again.found().stream().map(Secrets.Found::tokenType).toList());
    }

    private static List<String> sorted(List<Secrets.Found> found) {
        return found.stream().map(f -> f.label() + "=" + f.masked()).sorted().toList();
    }

    @Test
    void null_and_empty_are_fine() {
        assertNull(Secrets.mask(null));
        assertEquals("", Secrets.mask(""));
    }
}
