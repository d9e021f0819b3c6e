package com.permissionbot;

import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardTemplateException;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigException;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.store.Database;

import java.time.Clock;

/**
 * Starts the bot: real mode with {@code FEISHU_APP_ID}, else sandbox mode with a local Open Platform; with the argument
 * {@code doctor}, checks the deployment instead ({@link DoctorCommand}); {@code class-archive-training} is the build's
 * run for the class-data archive ({@link ClassArchiveTraining}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("doctor")) {
            // the table is the output: log lines only when asked for (LOG_LEVEL)
            if (System.getenv("LOG_LEVEL") == null) System.setProperty("LOG_LEVEL", "OFF");
            System.exit(DoctorCommand.run(System.out));
        }
        if (args.length > 0 && args[0].equals("class-archive-training")) {
            if (System.getenv("LOG_LEVEL") == null) System.setProperty("LOG_LEVEL", "WARN");
            System.exit(ClassArchiveTraining.run());
        }
        if (args.length > 0) {
            System.err.println("permission-bot: unknown command '" + args[0] + "'; run with no arguments to start the bot, or 'doctor' to check the deployment");
            System.exit(2);
        }
        BotConfig cfg;
        LocalPlatform platform = null;
        try {
            cfg = new ConfigLoader(System.getenv()).load();
            // the card templates are configuration too: a broken one stops start-up before anything has started
            CardRenderer.load(cfg.cardsDir(), Bot.templates());
            if (cfg.feishu().sandbox()) {
                platform = LocalPlatform.find().orElseThrow(() ->
                        new ConfigException("feishu.app_id", "is empty and this build has no sandbox; set FEISHU_APP_ID"));
                cfg = platform.configure(cfg, Database.sqliteFile(cfg.databaseUrl()));
            }
            App app = App.create(cfg, Clock.systemUTC()).start();
            if (platform != null) platform.attach(app);
            LocalPlatform p = platform;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                app.close();
                if (p != null) p.close();
            }, "shutdown"));
        } catch (ConfigException e) {
            System.err.println("permission-bot: " + e.line());
            if (platform != null) platform.close();
            System.exit(2);
        } catch (CardTemplateException e) {
            System.err.println("permission-bot: configuration error: " + e.getMessage());
            if (platform != null) platform.close();
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("permission-bot: cannot start: " + e.getMessage());
            if (platform != null) platform.close();
            System.exit(1);
        }
    }
}
