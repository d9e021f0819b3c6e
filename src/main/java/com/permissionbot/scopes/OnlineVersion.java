package com.permissionbot.scopes;

import com.permissionbot.feishu.AppInfo;
import com.permissionbot.feishu.AppVersion;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The app version the apply quota counts against, and its scopes' sensitivity levels: {@code
 * FEISHU_APP_VERSION} when set (then the platform is never asked), else the applications API, as old as the scopes
 * list the chat shows (a minute by default) or read now when it matters, else {@code apply.fallback_version}, else {@value ScopeService#UNKNOWN_VERSION}.
 * Callers that ask while a read is under way share it; the number of a version id is read once, so a read costs one
 * call of the applications API (50/s), plus one of app_versions (100/min) when the online version changed. See
 * https://open.feishu.cn/document/server-docs/application-v6/application/get and
 * https://open.feishu.cn/document/server-docs/application-v6/application/get-2
 */
final class OnlineVersion {
    private static final Logger log = LoggerFactory.getLogger(OnlineVersion.class);

    /** After a failed read, how long to use what is known (or the fallback) before asking again. */
    static final Duration RETRY = Duration.ofMinutes(1);

    /**
     * What is known: the version number, its id (null unless read from the platform), and the app's scope levels
     * (null unless read).
     */
    record Facts(String version, String versionId, AppInfo app) {
        boolean fromPlatform() {
            return versionId != null;
        }
    }

    private final FeishuGateway gateway;
    private final RetryPolicy retry;
    private final Clock clock;
    private final Facts configured;
    private final Facts fallback;
    /** How old a version may be where it does not decide anything (cards that show it, alerts). */
    private final Duration shown;

    private final Object lock = new Object();
    /** Reads started so far; written under {@link #lock} only. */
    private volatile long reads;
    private final Map<String, String> numbers = new HashMap<>();
    private Facts known;
    private Instant knownAt = Instant.MIN;
    private Instant noReadBefore = Instant.MIN;

    OnlineVersion(FeishuGateway gateway, RetryPolicy retry, Clock clock, String configuredVersion, String fallbackVersion,
                  Duration shown) {
        this.shown = shown;
        this.gateway = gateway;
        this.retry = retry;
        this.clock = clock;
        String c = configuredVersion == null ? "" : configuredVersion.trim();
        String f = fallbackVersion == null ? "" : fallbackVersion.trim();
        this.configured = c.isEmpty() ? null : new Facts(c, null, null);
        this.fallback = new Facts(f.isEmpty() ? ScopeService.UNKNOWN_VERSION : f, null, null);
    }

    /** What is known, at most {@code shown} old when the platform answers. */
    Facts current() {
        if (configured != null) return configured;
        synchronized (lock) {
            Instant now = clock.instant();
            if (known != null && now.isBefore(knownAt.plus(shown))) return known;
            return now.isBefore(noReadBefore) ? knownOrFallback() : read(now);
        }
    }

    /**
     * The version online now: read from the platform by this call, or by one that started after it was made (then
     * that answer is shared); what is known when the platform failed less than {@link #RETRY} ago.
     */
    Facts fresh() {
        if (configured != null) return configured;
        long asked = reads;
        synchronized (lock) {
            if (reads != asked) return knownOrFallback();
            Instant now = clock.instant();
            return now.isBefore(noReadBefore) ? knownOrFallback() : read(now);
        }
    }

    /**
     * https://open.feishu.cn/document/server-docs/application-v6/application/get gives the online version's id, then
     * https://open.feishu.cn/document/server-docs/application-v6/application/get-2 its number (once per id).
     */
    private Facts read(Instant now) {
        reads++;
        PlatformResult<AppInfo> info = retry.call("app info", gateway::appInfo);
        String id = info.ok() && info.value() != null && info.value().onlineVersionId() != null
                ? info.value().onlineVersionId().trim() : "";
        if (id.isEmpty()) return failed(now, info);
        String number = numbers.get(id);
        if (number == null) {
            PlatformResult<AppVersion> v = retry.call("app version", () -> gateway.appVersion(id));
            number = v.ok() && v.value() != null && v.value().version() != null ? v.value().version().trim() : "";
            if (number.isEmpty()) return failed(now, v);
            numbers.put(id, number);
        }
        if (known != null && !id.equals(known.versionId())) log.info("the app's online version is now {} ({})", number, id);
        known = new Facts(number, id, info.value());
        knownAt = now;
        return known;
    }

    private Facts failed(Instant now, PlatformResult<?> r) {
        log.warn("cannot read the app version from the applications API (code {}, log_id {}); {}", r.code(), r.logId(),
                known != null ? "keeping " + known.version() : "using " + fallback.version());
        Duration wait = r.retryAfter() != null && r.retryAfter().compareTo(RETRY) > 0 ? r.retryAfter() : RETRY;
        noReadBefore = now.plus(wait);
        return knownOrFallback();
    }

    private Facts knownOrFallback() {
        return known != null ? known : fallback;
    }
}
