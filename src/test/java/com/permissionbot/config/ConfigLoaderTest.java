package com.permissionbot.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    private static BotConfig parse(String yaml, Map<String, String> env) {
        return new ConfigLoader(env).parse(yaml);
    }

    private static String problem(String yaml, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> parse(yaml, env)).getMessage();
    }

    @Test
    void empty_config_means_sandbox_with_defaults() {
        BotConfig c = parse("", Map.of());
        assertTrue(c.feishu().sandbox());
        assertEquals(8080, c.port());
        assertEquals(1 << 20, c.maxBodyBytes());
        assertEquals("jdbc:sqlite:data/permission-bot.db", c.databaseUrl());
        assertEquals(Duration.ofHours(24), c.inbox().retention());
        assertTrue(c.apply().anyone());
        assertEquals(Duration.ofMinutes(1), c.follow().scopesCache());
    }

    @Test
    void the_scopes_list_cache_is_configurable() {
        assertEquals(Duration.ofSeconds(10), parse("follow:\n  scopes_cache_seconds: 10\n", Map.of()).follow().scopesCache());
    }

    @Test
    void substitutes_env_and_defaults_in_values() {
        BotConfig c = parse("""
                feishu:
                  base_url: ${BASE:http://127.0.0.1:9}
                apply:
                  fallback_version: v-${VER}
                """, Map.of("VER", "1.2.3"));
        assertEquals("http://127.0.0.1:9", c.feishu().baseUrl());
        assertEquals("v-1.2.3", c.apply().fallbackVersion());
    }

    @Test
    void missing_env_without_default_names_the_key() {
        assertEquals("apply.fallback_version: environment variable NOPE is not set and has no default",
                problem("apply:\n  fallback_version: ${NOPE}\n", Map.of()));
    }

    @Test
    void run_contract_environment_overrides_the_file() {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "9123");
        env.put("DATABASE_URL", "postgres://u:p@db:5432/bot");
        env.put("FEISHU_APP_ID", "cli_abc123");
        env.put("FEISHU_APP_SECRET", "s");
        env.put("FEISHU_VERIFICATION_TOKEN", "v");
        env.put("FEISHU_ENCRYPT_KEY", "k");
        env.put("FEISHU_BASE_URL", "https://open.larksuite.com/");
        BotConfig c = parse("server:\n  port: 8080\n", env);
        assertEquals(9123, c.port());
        assertEquals("postgres://u:p@db:5432/bot", c.databaseUrl());
        assertFalse(c.feishu().sandbox());
        assertEquals("https://open.larksuite.com", c.feishu().baseUrl());
    }

    @Test
    void real_mode_without_encrypt_key_refuses_to_start() {
        Map<String, String> env = Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s", "FEISHU_VERIFICATION_TOKEN", "v");
        assertTrue(problem("", env).startsWith("feishu.encrypt_key: is empty"));
        assertFalse(parse("feishu:\n  allow_unencrypted: true\n", env).feishu().encrypted());
    }

    @Test
    void real_mode_needs_secret_and_token() {
        assertTrue(problem("", Map.of("FEISHU_APP_ID", "cli_abc")).startsWith("feishu.app_secret:"));
        assertTrue(problem("", Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s")).startsWith("feishu.verification_token:"));
        assertTrue(problem("", Map.of("FEISHU_APP_ID", "nonsense")).startsWith("feishu.app_id:"));
    }

    @Test
    void a_secret_token_or_key_without_an_app_id_stops_start_up_naming_FEISHU_APP_ID_never_sandbox_mode() {
        for (String var : List.of("FEISHU_APP_SECRET", "FEISHU_VERIFICATION_TOKEN", "FEISHU_ENCRYPT_KEY")) {
            String p = problem("", Map.of(var, "x1y2z3"));
            assertTrue(p.startsWith("feishu.app_id: FEISHU_APP_ID is not set, but " + var), p);
            assertFalse(p.contains("x1y2z3"), "the value stays out of the message: " + p);
        }
        String both = problem("", Map.of("FEISHU_APP_SECRET", "s", "FEISHU_ENCRYPT_KEY", "k"));
        assertTrue(both.contains("FEISHU_APP_SECRET (feishu.app_secret), FEISHU_ENCRYPT_KEY (feishu.encrypt_key) are"), both);
        assertTrue(problem("feishu:\n  verification_token: v\n", Map.of()).startsWith("feishu.app_id: FEISHU_APP_ID is not set, but FEISHU_VERIFICATION_TOKEN"));
        assertTrue(problem("feishu:\n  app_id: \"\"\n  encrypt_key: ${KEY}\n", Map.of("KEY", "k")).startsWith("feishu.app_id:"));
        assertTrue(parse("feishu:\n  app_secret: \"\"\n", Map.of("FEISHU_APP_SECRET", "")).feishu().sandbox(), "empty values are no credentials");
    }

    @Test
    void sandbox_mode_refuses_a_postgresql_database() {
        for (String url : List.of("postgres://u:p@db:5432/bot", "jdbc:postgresql://db:5432/bot?user=u")) {
            String p = problem("", Map.of("DATABASE_URL", url));
            assertTrue(p.startsWith("database.url: is PostgreSQL, but without FEISHU_APP_ID the bot runs in sandbox mode"), p);
            assertFalse(p.contains("u:p@"), p);
        }
        assertTrue(parse("", Map.of("DATABASE_URL", "jdbc:sqlite:/tmp/x.db")).feishu().sandbox());
    }

    @Test
    void sandbox_mode_listens_on_loopback_real_mode_on_every_interface_unless_server_host_says_otherwise() {
        assertEquals("127.0.0.1", parse("", Map.of()).bindHost());
        assertEquals("0.0.0.0", parse("server:\n  host: 0.0.0.0\n", Map.of()).bindHost());
        Map<String, String> real = Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s", "FEISHU_VERIFICATION_TOKEN", "v",
                "FEISHU_ENCRYPT_KEY", "k");
        assertNull(parse("", real).bindHost(), "null: every interface");
        assertEquals("10.0.0.5", parse("server:\n  host: 10.0.0.5\n", real).bindHost());
        assertEquals("127.0.0.1", parse("", real).withFeishu(parse("", real).feishu()
                .pointedAt("http://127.0.0.1:1", "cli_sandbox", "s", "t", "k")).bindHost(), "a local platform is sandbox mode");
        assertTrue(problem("server:\n  host: \"a b\"\n", Map.of()).startsWith("server.host: must be an address"));
    }

    @Test
    void console_links_follow_the_base_url_to_lark_or_feishu() {
        Map<String, String> real = new HashMap<>(Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s",
                "FEISHU_VERIFICATION_TOKEN", "v", "FEISHU_ENCRYPT_KEY", "k"));
        assertEquals("https://open.feishu.cn", parse("", real).feishu().consoleOrigin());
        real.put("FEISHU_BASE_URL", "https://open.larksuite.com");
        assertEquals("https://open.larksuite.com", parse("", real).feishu().consoleOrigin());
        real.put("FEISHU_BASE_URL", "https://open.larkoffice.com");
        assertEquals("https://open.feishu.cn", parse("", real).feishu().consoleOrigin(), "larkoffice.com is Feishu's");
        real.put("FEISHU_BASE_URL", "https://larksuite.com.evil.example");
        assertEquals("https://open.feishu.cn", parse("", real).feishu().consoleOrigin());
        assertEquals("https://open.feishu.cn", parse("", Map.of()).feishu().pointedAt("http://127.0.0.1:9", "cli_sandbox", "s", "t", "k").consoleOrigin());
    }

    @Test
    void wrong_values_are_named() {
        assertEquals("server.port: must be a whole number, got 'eighty'", problem("server:\n  port: eighty\n", Map.of()));
        assertEquals("server.port: must be between 0 and 65535, got 70000", problem("server:\n  port: 70000\n", Map.of()));
        assertTrue(problem("database:\n  url: mysql://x\n", Map.of()).startsWith("database.url:"));
        assertTrue(problem("feishu:\n  base_url: ftp://x\n", Map.of()).startsWith("feishu.base_url:"));
        assertTrue(problem("inbox:\n  retention_hours: 2\n", Map.of()).startsWith("inbox.retention_hours:"));
        assertTrue(problem("apply:\n  allowed_open_ids: [bob]\n", Map.of()).startsWith("apply.allowed_open_ids:"));
        assertTrue(problem("feishu:\n  allow_unencrypted: maybe\n", Map.of()).startsWith("feishu.allow_unencrypted:"));
    }

    @Test
    void unknown_keys_and_broken_yaml_are_refused() {
        assertEquals("inbox.wrokers: unknown key (check the spelling against bot-config.yaml)", problem("inbox:\n  wrokers: 3\n", Map.of()));
        assertTrue(problem("server: [\n", Map.of()).startsWith("not valid YAML at line 1, column 10 ("), problem("server: [\n", Map.of()));
        assertEquals("must be a mapping of keys", problem("- a\n- b\n", Map.of()));
    }

    @Test
    void an_error_names_the_file_that_was_read(@TempDir Path dir) throws Exception {
        Path named = dir.resolve("prod.yaml");
        Files.writeString(named, "server:\n  port: eighty\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("BOT_CONFIG", named.toString())).load());
        assertEquals(named.toAbsolutePath() + " (BOT_CONFIG)", e.file());
        assertEquals("configuration error in " + named.toAbsolutePath() + " (BOT_CONFIG): server.port: must be a whole number, got 'eighty'", e.line());
        Files.writeString(named, "server: [\n");
        assertTrue(assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("BOT_CONFIG", named.toString())).load()).line()
                .startsWith("configuration error in " + named.toAbsolutePath() + " (BOT_CONFIG): not valid YAML at line 1"));
        ConfigException missing = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("BOT_CONFIG", dir.resolve("nope.yaml").toString())).load());
        assertEquals("configuration error: BOT_CONFIG: file not found: " + dir.resolve("nope.yaml").toAbsolutePath(), missing.line());
    }

    @Test
    void an_invalid_approval_subscribe_code_stops_start_up_like_any_other_bad_value() {
        assertEquals("approval.subscribe: 'expense' is not an approval definition code (8 to 64 letters, digits or hyphens, "
                + "such as 7C468A54-8745-2245-9675-08B7C63E7A85)", problem("approval:\n  subscribe: [7C468A54-8745-2245-9675-08B7C63E7A85, expense]\n", Map.of()));
        assertTrue(problem("approval:\n  subscribe: \"7C468A54_8745\"\n", Map.of()).startsWith("approval.subscribe: '7C468A54_8745'"));
        assertEquals(List.of("7C468A54-8745-2245-9675-08B7C63E7A85"),
                parse("approval:\n  subscribe: [7C468A54-8745-2245-9675-08B7C63E7A85]\n", Map.of()).approvalCodes());
    }

    @Test
    void the_shipped_bot_config_yaml_is_valid() throws Exception {
        String yaml = java.nio.file.Files.readString(java.nio.file.Path.of("bot-config.yaml"));
        BotConfig c = parse(yaml, Map.of());
        assertTrue(c.feishu().sandbox());
        assertEquals(Duration.ofSeconds(10), c.apply().cooldown());
    }

    @Test
    void secrets_do_not_show_in_to_string() {
        Map<String, String> env = Map.of("FEISHU_APP_ID", "cli_abc", "FEISHU_APP_SECRET", "s3cr3t-value",
                "FEISHU_VERIFICATION_TOKEN", "vtok-value", "FEISHU_ENCRYPT_KEY", "ekey-value");
        String s = parse("", env).toString();
        assertFalse(s.contains("s3cr3t-value") || s.contains("vtok-value") || s.contains("ekey-value"), s);
    }
}
