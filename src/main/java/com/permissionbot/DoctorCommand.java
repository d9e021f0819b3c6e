package com.permissionbot;

import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigException;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.doctor.Doctor;
import com.permissionbot.doctor.DoctorText;
import com.permissionbot.doctor.Report;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;

import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code java -jar permission-bot.jar doctor}: the chat doctor's checks, as a table on stdout, with no server started.
 * Exit code 0 when everything the bot needs works, 1 when something needs a fix, 2 when the configuration stops it.
 */
public final class DoctorCommand {
    public static final int HEALTHY = 0;
    public static final int NEEDS_FIX = 1;
    public static final int CANNOT_RUN = 2;

    private DoctorCommand() {}

    /** {@code gateways}: the platform for a configuration (the SDK's, or a test's). */
    static int run(Map<String, String> env, Clock clock, PrintStream out, Function<BotConfig, FeishuGateway> gateways) {
        BotConfig cfg;
        try {
            cfg = new ConfigLoader(env).load();
        } catch (ConfigException e) {
            out.println("permission-bot doctor: " + e.line());
            return CANNOT_RUN;
        }
        if (cfg.feishu().sandbox()) {
            out.println("permission-bot doctor: no Feishu app is configured (sandbox mode), so there is nothing to check. Set FEISHU_APP_ID and "
                    + "FEISHU_APP_SECRET (and the webhook's FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN, or FEISHU_TRANSPORT=websocket).");
            out.println("自检：没有配置飞书应用（沙箱模式），无可检查。请设置 FEISHU_APP_ID 和 FEISHU_APP_SECRET。");
            return CANNOT_RUN;
        }
        Store store = open(cfg.databaseUrl());
        try {
            String owner = "doctor-" + ProcessHandle.current().pid();
            Report r = new Doctor(cfg, gateways.apply(cfg), store, store::transportReports, clock, owner).run(false);
            out.print(DoctorText.of(r, cfg.feishu().appId() + " · " + cfg.feishu().baseUrl() + " · " + cfg.feishu().transport().label()));
            return r.healthy() ? HEALTHY : NEEDS_FIX;
        } finally {
            try {
                store.close();
            } catch (RuntimeException ignored) {
                // a store that never opened
            }
        }
    }

    /** The store, or one whose every call fails as opening it did, so the database and transport checks say why. */
    private static Store open(String url) {
        try {
            return JdbcStore.open(url);
        } catch (RuntimeException e) {
            return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[]{Store.class}, (p, m, a) -> {
                throw e;
            });
        }
    }

    /** From {@link Main}: the real platform, the process's environment. */
    static int run(PrintStream out) {
        return run(System.getenv(), Clock.systemUTC(), out, cfg -> new SdkFeishuGateway(cfg.feishu(), Clock.systemUTC()));
    }
}
