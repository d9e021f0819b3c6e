package com.permissionbot.sandbox;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** How many calls each endpoint received, keyed {@code "METHOD /path/{param}"}. */
final class RequestLog {

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    static String key(String method, String path) {
        return method.toUpperCase() + " " + path;
    }

    void count(String key) {
        counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    int get(String key) {
        AtomicInteger n = counts.get(key);
        return n == null ? 0 : n.get();
    }

    Map<String, Integer> snapshot() {
        Map<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    void reset() {
        counts.clear();
    }
}
