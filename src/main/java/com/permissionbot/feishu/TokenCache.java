package com.permissionbot.feishu;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.lark.oapi.core.cache.ICache;

import java.util.concurrent.TimeUnit;

/**
 * The SDK's token cache on Caffeine, with per-entry TTL and the eviction the SDK lacks (oapi-sdk-java
 * {@code core/token/TokenManager.java}).
 */
final class TokenCache implements ICache {
    private record Entry(String value, long ttlNanos) {}

    private final Cache<String, Entry> cache = Caffeine.newBuilder()
            .maximumSize(1_000)
            .expireAfter(new Expiry<String, Entry>() {
                @Override
                public long expireAfterCreate(String k, Entry e, long now) {
                    return e.ttlNanos();
                }

                @Override
                public long expireAfterUpdate(String k, Entry e, long now, long current) {
                    return e.ttlNanos();
                }

                @Override
                public long expireAfterRead(String k, Entry e, long now, long current) {
                    return current;
                }
            })
            .build();

    @Override
    public String get(String key) {
        Entry e = cache.getIfPresent(key);
        return e == null ? "" : e.value();
    }

    @Override
    public void set(String key, String value, int expire, TimeUnit unit) {
        cache.put(key, new Entry(value, Math.max(0, unit.toNanos(expire))));
    }

    /** Forgets every token, so the next call fetches a fresh one. */
    void evictAll() {
        cache.invalidateAll();
    }
}
