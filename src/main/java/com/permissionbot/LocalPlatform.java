package com.permissionbot;

import com.permissionbot.config.BotConfig;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A local stand-in for the Open Platform that sandbox mode starts in-process; found with {@link ServiceLoader} so
 * that no code outside {@code sandbox/} depends on the emulator.
 */
public interface LocalPlatform extends AutoCloseable {

    /**
     * Starts the platform and returns the Feishu settings that point the bot at it. {@code database}: the bot's SQLite
     * file (empty when it keeps none); the platform keeps its own state beside it, so that both remember the same.
     */
    BotConfig.Feishu start(BotConfig.Feishu defaults, Optional<Path> database);

    /** A chat the platform keeps for the tenant's admins, where the bot's ops chat points unless one is configured. */
    default String adminsChatId() {
        return "";
    }

    /** Starts the platform and returns {@code cfg} pointed at it: its Feishu settings, and its admins' chat as the ops chat. */
    default BotConfig configure(BotConfig cfg, Optional<Path> database) {
        BotConfig local = cfg.withFeishu(start(cfg.feishu(), database));
        return local.follow().opsChatId().isEmpty() ? local.withOpsChatId(adminsChatId()) : local;
    }

    /** Lets the platform push events to the running bot (and serve its pages). */
    default void attach(App app) {}

    @Override
    void close();

    static Optional<LocalPlatform> find() {
        return ServiceLoader.load(LocalPlatform.class).findFirst();
    }
}
