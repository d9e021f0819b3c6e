package com.permissionbot;

import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardTemplateException;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigException;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.store.Database;

import java.time.Clock;

/** Starts the bot: real mode with {@code FEISHU_APP_ID}, else sandbox mode with a local Open Platform. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
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
