package com.permissionbot.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code FEISHU_TRANSPORT} / {@code feishu.transport}: webhook by default, or the long connection with the app id and secret alone. */
class TransportConfigTest {
    static final Map<String, String> APP = Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s");

    static BotConfig parse(String yaml, Map<String, String> env) {
        return new ConfigLoader(env).parse(yaml);
    }

    static String problem(String yaml, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> parse(yaml, env)).getMessage();
    }

    static Map<String, String> with(Map<String, String> env, String... kv) {
        Map<String, String> m = new HashMap<>(env);
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void webhook_is_the_default() {
        BotConfig c = parse("", with(APP, "FEISHU_VERIFICATION_TOKEN", "v", "FEISHU_ENCRYPT_KEY", "k"));
        assertFalse(c.feishu().transport().websocket());
        assertEquals("webhook", c.feishu().transport().label());
        assertFalse(parse("", Map.of()).feishu().transport().websocket(), "sandbox mode too");
    }

    @Test
    void websocket_needs_only_the_app_id_and_secret() {
        BotConfig c = parse("", with(APP, "FEISHU_TRANSPORT", "websocket"));
        assertTrue(c.feishu().transport().websocket());
        assertFalse(c.feishu().encrypted());
        assertEquals("", c.feishu().verificationToken());
        assertTrue(parse("feishu:\n  transport: WebSocket\n", APP).feishu().transport().websocket(), "the key, any case");
        assertTrue(c.feishu().toString().contains("transport=websocket"));
    }

    @Test
    void websocket_with_an_encrypt_key_turns_the_webhooks_on_and_then_needs_the_token() {
        String p = problem("", with(APP, "FEISHU_TRANSPORT", "websocket", "FEISHU_ENCRYPT_KEY", "k"));
        assertTrue(p.startsWith("feishu.verification_token: is required with feishu.encrypt_key"), p);
        assertTrue(parse("", with(APP, "FEISHU_TRANSPORT", "websocket", "FEISHU_ENCRYPT_KEY", "k", "FEISHU_VERIFICATION_TOKEN", "v"))
                .feishu().encrypted());
    }

    @Test
    void a_missing_encrypt_key_in_webhook_mode_names_the_long_connection_as_the_way_out() {
        String p = problem("", with(APP, "FEISHU_VERIFICATION_TOKEN", "v"));
        assertTrue(p.startsWith("feishu.encrypt_key: is empty"), p);
        assertTrue(p.contains("set FEISHU_ENCRYPT_KEY"), p);
        assertTrue(p.contains("FEISHU_TRANSPORT=websocket when there is no public URL"), p);
    }

    @Test
    void an_unknown_transport_stops_start_up() {
        String p = problem("", with(APP, "FEISHU_TRANSPORT", "grpc"));
        assertEquals("feishu.transport: must be webhook or websocket (FEISHU_TRANSPORT), got 'grpc'", p);
    }

    @Test
    void the_long_connection_timing_has_defaults_and_keys() {
        Transport t = parse("", with(APP, "FEISHU_TRANSPORT", "websocket")).feishu().transport();
        assertEquals(Duration.ofSeconds(10), t.pongTimeout());
        assertEquals(Duration.ofSeconds(1), t.reconnectJitter());
        assertEquals(Duration.ofSeconds(1), t.retryFirst());
        assertEquals(Duration.ofSeconds(120), t.unhealthyAfter());
        t = parse("""
                feishu:
                  long_connection:
                    pong_timeout_ms: 3000
                    reconnect_jitter_ms: 0
                    retry_first_ms: 250
                    unhealthy_after_seconds: 30
                """, with(APP, "FEISHU_TRANSPORT", "websocket")).feishu().transport();
        assertEquals(new Transport(true, Duration.ofSeconds(3), Duration.ZERO, Duration.ofMillis(250), Duration.ofSeconds(30)), t);
        Map<String, String> ws = with(APP, "FEISHU_TRANSPORT", "websocket");
        assertTrue(problem("feishu:\n  long_connection:\n    pong_timeout: 3\n", ws).startsWith("feishu.long_connection.pong_timeout: unknown key"));
        assertTrue(problem("feishu:\n  long_connection:\n    pong_timeout_ms: 5\n", ws).startsWith("feishu.long_connection.pong_timeout_ms: must be between"));
    }
}
