package com.permissionbot;

import com.permissionbot.config.BotConfig;

import java.nio.file.Path;
import java.time.Duration;
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

    /**
     * A scopes list the chat shows here is at most this old: the playground's admin pane grants in a click, and no
     * tenant's API budget is at stake.
     */
    Duration SCOPES_CACHE = Duration.ofSeconds(5);

    /**
     * Starts the platform and returns {@code cfg} pointed at it: its Feishu settings, its admins' chat as the ops chat
     * (unless one is configured), and the scopes list cached at most {@link #SCOPES_CACHE}.
     */
    default BotConfig configure(BotConfig cfg, Optional<Path> database) {
        BotConfig local = cfg.withFeishu(start(cfg.feishu(), database));
        BotConfig.Follow f = local.follow();
        if (f.opsChatId().isEmpty()) f = f.withOpsChatId(adminsChatId());
        if (f.scopesCache().compareTo(SCOPES_CACHE) > 0) f = f.withScopesCache(SCOPES_CACHE);
        return local.withFollow(f);
    }

    /** Lets the platform push events to the running bot (and serve its pages). */
    default void attach(App app) {}

    @Override
    void close();

    static Optional<LocalPlatform> find() {
        return ServiceLoader.load(LocalPlatform.class).findFirst();
    }
}
