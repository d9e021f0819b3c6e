package com.permissionbot.diagnose;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

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
            "password: hunter22|password: …(masked)"})
    void secret_values_are_masked_keeping_a_short_prefix(String pasted, String masked) {
        assertEquals(masked, Secrets.mask(pasted));
    }

    @Test
    void masking_twice_changes_nothing() {
        String text = "{\"app_secret\":\"" + SECRET + "\"} Bearer " + USER_TOKEN + " token " + TENANT_TOKEN
                + " tenant_access_token=" + TENANT_TOKEN;
        String once = Secrets.mask(text);
        assertEquals(once, Secrets.mask(once));
        assertTrue(Secrets.scan(once).found().isEmpty());
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
    void null_and_empty_are_fine() {
        assertNull(Secrets.mask(null));
        assertEquals("", Secrets.mask(""));
    }
}
