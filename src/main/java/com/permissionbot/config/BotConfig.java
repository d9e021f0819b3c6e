package com.permissionbot.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The bot's whole configuration, validated; built by {@link ConfigLoader}. */
public record BotConfig(
        int port,
        long maxBodyBytes,
        Feishu feishu,
        String databaseUrl,
        Inbox inbox,
        Apply apply,
        Path cardsDir,
        List<String> approvalCodes,
        Follow follow,
        Retry retry,
        String host) {

    /** Feishu's developer console and documentation. */
    public static final String FEISHU_ORIGIN = "https://open.feishu.cn";
    /** Lark's (Feishu outside China) developer console and documentation. */
    public static final String LARK_ORIGIN = "https://open.larksuite.com";
    /** Loopback: where sandbox mode listens unless {@code server.host} says otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    /**
     * The address to listen on: {@code server.host} when set, else loopback in sandbox mode (the emulator's tenant and
     * the playground are for this machine) and null, every interface, in real mode.
     */
    public String bindHost() {
        if (!host.isEmpty()) return host;
        return feishu.sandbox() ? LOOPBACK : null;
    }

    /** Credentials and endpoint of the Open Platform; an empty appId means sandbox mode. */
    public record Feishu(
            String appId,
            String appSecret,
            String verificationToken,
            String encryptKey,
            String baseUrl,
            String appVersion,
            boolean allowUnencrypted,
            Duration connectTimeout,
            Duration readTimeout,
            Duration callTimeout,
            Duration maxRateLimitWait,
            boolean local,
            Transport transport) {

        /** No real app configured: the bot runs against a local platform. */
        public boolean sandbox() {
            return local || appId.isEmpty();
        }

        public boolean encrypted() {
            return !encryptKey.isEmpty();
        }

        /** The Open Platform's own site for console and help links: Lark's for a larksuite.com base URL, else Feishu's. */
        public String consoleOrigin() {
            String host = java.net.URI.create(baseUrl).getHost();
            return host != null && (host.equals("larksuite.com") || host.endsWith(".larksuite.com")) ? LARK_ORIGIN : FEISHU_ORIGIN;
        }

        /** Same values with the credentials and address of a local platform (sandbox mode). */
        public Feishu pointedAt(String baseUrl, String appId, String appSecret, String token, String encryptKey) {
            return new Feishu(appId, appSecret, token, encryptKey, baseUrl, appVersion, allowUnencrypted,
                    connectTimeout, readTimeout, callTimeout, maxRateLimitWait, true, transport);
        }

        @Override
        public String toString() {
            return "Feishu[appId=" + appId + ", baseUrl=" + baseUrl + ", encrypted=" + encrypted() + ", transport="
                    + transport.label() + "]";
        }
    }

    /** Durable inbox: workers, how long a claimed row is leased, how long de-dup keys are kept. */
    public record Inbox(int workers, Duration lease, Duration retention, Duration pollInterval) {}

    /**
     * Who may press Apply, the per-tenant cooldown, the version used when no other source names one, and how long
     * a click waits for the platform before answering "working" (the callback must be answered within 3 s).
     */
    public record Apply(Set<String> allowedOpenIds, Duration cooldown, String fallbackVersion, Duration answerWithin) {
        public boolean anyone() {
            return allowedOpenIds.isEmpty();
        }
    }

    /**
     * The grant watcher: how long a request is followed, how often the watcher looks, an optional ops chat, the
     * longest wait between two checks of a tenant (which bounds how late a revocation is noticed), and how old a scopes
     * list the chat may show (the watcher's checks and Apply read afresh and refresh it).
     */
    public record Follow(Duration horizon, Duration tick, String opsChatId, Duration maxInterval, Duration scopesCache) {
        public Follow withOpsChatId(String chatId) {
            return new Follow(horizon, tick, chatId, maxInterval, scopesCache);
        }

        public Follow withScopesCache(Duration d) {
            return new Follow(horizon, tick, opsChatId, maxInterval, d);
        }
    }

    /**
     * Repeating what the platform did not take: the first wait between quick repeats of one call (doubling, at most
     * four calls), and the outbox's first wait (doubling up to {@code outboxMax}) for what it still owes.
     */
    public record Retry(Duration inCall, Duration outboxFirst, Duration outboxMax) {}

    public BotConfig withFeishu(Feishu f) {
        return new BotConfig(port, maxBodyBytes, f, databaseUrl, inbox, apply, cardsDir, approvalCodes, follow, retry, host);
    }

    public BotConfig withPort(int p) {
        return new BotConfig(p, maxBodyBytes, feishu, databaseUrl, inbox, apply, cardsDir, approvalCodes, follow, retry, host);
    }

    public BotConfig withDatabaseUrl(String url) {
        return new BotConfig(port, maxBodyBytes, feishu, url, inbox, apply, cardsDir, approvalCodes, follow, retry, host);
    }

    public BotConfig withFollow(Follow f) {
        return new BotConfig(port, maxBodyBytes, feishu, databaseUrl, inbox, apply, cardsDir, approvalCodes, f, retry, host);
    }

    public BotConfig withInbox(Inbox i) {
        return new BotConfig(port, maxBodyBytes, feishu, databaseUrl, i, apply, cardsDir, approvalCodes, follow, retry, host);
    }
}
