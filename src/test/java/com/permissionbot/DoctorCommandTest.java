package com.permissionbot;

import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.sandbox.LongConnectionGateway;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.ChatScript;
import com.permissionbot.config.ConfigLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar permission-bot.jar doctor}: its table and exit codes, against the emulator over real HTTP. */
class DoctorCommandTest {
    @TempDir
    Path dir;
    PlatformEmulator platform;
    String out;

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start();
    }

    @AfterEach
    void stop() {
        platform.close();
    }

    private Map<String, String> env(String secret) {
        Map<String, String> env = new HashMap<>(Map.of("FEISHU_APP_ID", platform.config().appId(), "FEISHU_APP_SECRET", secret,
                "FEISHU_VERIFICATION_TOKEN", BotHarness.TOKEN, "FEISHU_ENCRYPT_KEY", BotHarness.KEY, "FEISHU_BASE_URL", platform.baseUrl(),
                "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("bot.db")));
        return env;
    }

    private int doctor(Map<String, String> env) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = DoctorCommand.run(env, Clock.systemUTC(), new PrintStream(bytes, true, StandardCharsets.UTF_8),
                cfg -> new SdkFeishuGateway(cfg.feishu(), Clock.systemUTC()));
        out = bytes.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void beside_a_running_bot_with_everything_in_place_it_exits_0() {
        try (BotHarness bot = BotHarness.start(dir, platform, "")) {
            bot.say("oc_p2p_alice", "help");
            // the bot reports a change within a second
            ChatScript.await(() -> bot.app.store().transportReports(Instant.EPOCH).stream().anyMatch(r -> r.lastEvent() != null));
            assertEquals(DoctorCommand.HEALTHY, doctor(env(platform.config().appSecret())), () -> out);
        }
        assertTrue(out.contains("✓  Credentials") && out.contains("凭证：App ID 与 App Secret 有效"), out);
        assertTrue(out.contains("Webhook: the last signed request arrived at"), out);
        assertTrue(out.contains("Checked in chat only"), out);
        assertTrue(out.contains("All good"), out);
    }

    @Test
    void with_no_bot_running_it_says_so_and_exits_1() {
        assertEquals(DoctorCommand.NEEDS_FIX, doctor(env(platform.config().appSecret())), () -> out);
        assertTrue(out.contains("✗  Transport") && out.contains("No running bot process has reported"), out);
    }

    @Test
    void a_wrong_secret_is_named_with_the_platforms_code_and_exits_1() {
        assertEquals(DoctorCommand.NEEDS_FIX, doctor(env("not-the-secret")), () -> out);
        assertTrue(out.contains("The app secret is wrong") && out.contains("code 10014"), out);
        assertTrue(out.contains("○  The bot's own scopes") && out.contains("Not checked: fix the credentials first"), out);
    }

    @Test
    void a_long_connection_the_platform_refuses_is_reported_down_and_exits_1() {
        platform.longConnection().refuseHandshakes(100, LongConnectionGateway.Refusal.forbidden());
        Map<String, String> env = new HashMap<>(Map.of("FEISHU_APP_ID", platform.config().appId(), "FEISHU_APP_SECRET",
                platform.config().appSecret(), "FEISHU_BASE_URL", platform.baseUrl(), "FEISHU_TRANSPORT", "websocket",
                "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("ws.db"), "PORT", "0"));
        var cfg = new ConfigLoader(env).load();
        App app = new App(cfg, JdbcStore.open(cfg.databaseUrl()), new SdkFeishuGateway(cfg.feishu(), Clock.systemUTC()), Clock.systemUTC()).start();
        try {
            ChatScript.await(() -> app.store().transportReports(Instant.EPOCH).stream().anyMatch(r -> r.stopped() != null));
            assertEquals(DoctorCommand.NEEDS_FIX, doctor(env), () -> out);
        } finally {
            app.close();
        }
        assertTrue(out.contains("✗  Transport") && out.contains("not connected since") && out.contains("gave up"), out);
    }

    @Test
    void sandbox_mode_and_a_broken_configuration_exit_2() {
        assertEquals(DoctorCommand.CANNOT_RUN, doctor(Map.of()));
        assertTrue(out.contains("sandbox mode") && out.contains("FEISHU_APP_ID"), out);
        assertEquals(DoctorCommand.CANNOT_RUN, doctor(Map.of("FEISHU_APP_SECRET", "s")));
        assertTrue(out.contains("FEISHU_APP_ID"), out);
    }

    @Test
    void a_database_it_cannot_open_is_a_fix_and_the_platform_is_still_checked() {
        Map<String, String> env = env(platform.config().appSecret());
        env.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=1");
        assertEquals(DoctorCommand.NEEDS_FIX, doctor(env), () -> out);
        assertTrue(out.contains("✓  Credentials") && out.contains("✗  Database") && out.contains("Check DATABASE_URL"), out);
    }
}
