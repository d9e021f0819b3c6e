package com.permissionbot.bench;

import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.sandbox.SentMessage;
import com.permissionbot.sandbox.TenantState;
import com.permissionbot.support.BotHarness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * (h) of the benchmark: the OpenAPI calls each user action costs, counted by the emulator (every call the bot's SDK
 * client makes, token fetches included), with the bot in-process on a clock the run moves forward for the day-long
 * watch. Its own tick is hourly, so only the ticks this run makes check grants.
 */
final class PlatformCalls {
    private PlatformCalls() {}

    /** The watcher's tick in production ({@code follow.tick_seconds}). */
    static final Duration TICK = Duration.ofSeconds(15);

    /** One row per action: the calls in all, and by endpoint. */
    static List<String[]> count(Path dir) throws Exception {
        List<String[]> rows = new ArrayList<>();
        Path db = Files.createDirectories(dir.resolve("calls"));
        String yaml = "follow:\n  tick_seconds: 3600\napproval:\n  subscribe: [" + TenantState.SAMPLE_APPROVAL_CODE + "]\n";
        try (PlatformEmulator platform = PlatformEmulator.start(); BotHarness h = BotHarness.start(db, platform, yaml)) {
            BotHarness.sleep(1000); // the start-up subscription
            row(rows, platform, "\"help\"", () -> h.say("oc_p2p_alice", "help"));
            SentMessage missing = row(rows, platform, "\"missing\"", () -> h.say("oc_p2p_alice", "missing permissions"));
            row(rows, platform, "\"missing\" from 10 more users in the same minute", () -> {
                for (int i = 0; i < 10; i++) h.say("oc_p2p_user" + i, "missing permissions");
                return null;
            });
            row(rows, platform, "\"status\" (same minute)", () -> h.say("oc_p2p_alice", "permission status"));
            row(rows, platform, "\"quota\"", () -> h.say("oc_p2p_alice", "quota"));
            row(rows, platform, "Apply (a click on the missing card)", () -> h.click(missing, "ou_alice", "apply"));
            row(rows, platform, "\"doctor\" (one configured approval code)", () -> h.say("oc_p2p_alice", "doctor"));
            row(rows, platform, "a request watched for a day, not granted (ticks every 15 s)", () -> {
                ticks(h, Duration.ofDays(1));
                return null;
            });
            row(rows, platform, "its grant noticed (the next check, the cards it owes)", () -> {
                platform.tenant().grantAll();
                ticks(h, Duration.ofMinutes(6));
                for (int i = 0; i < 100 && h.app.store().outboxDepth() > 0; i++) BotHarness.sleep(50);
                return null;
            });
            row(rows, platform, "a tenant without requests, for a day (revocation checks)", () -> {
                ticks(h, Duration.ofDays(1));
                return null;
            });
        }
        return rows;
    }

    private static void ticks(BotHarness h, Duration span) {
        for (long t = 0; t < span.toSeconds(); t += TICK.toSeconds()) {
            h.clock.advance(TICK);
            h.app.bot().watcher.tick();
        }
    }

    /** Runs {@code action} after a quiet moment and counts the calls it made (those the outbox owes it too). */
    private static <T> T row(List<String[]> rows, PlatformEmulator platform, String action, Supplier<T> run) {
        BotHarness.sleep(300);
        platform.resetCalls();
        T out = run.get();
        BotHarness.sleep(300);
        Map<String, Integer> calls = new TreeMap<>();
        platform.calls().forEach((k, n) -> calls.merge(name(k), n, Integer::sum));
        int all = calls.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder by = new StringBuilder();
        calls.forEach((k, n) -> by.append(by.length() == 0 ? "" : ", ").append(k).append(' ').append(n));
        rows.add(new String[]{"(h) platform calls: " + action, all + (all == 0 ? "" : " (" + by + ")")});
        return out;
    }

    /** A short name for an emulator endpoint key ({@code "METHOD /open-apis/…"}). */
    static String name(String key) {
        if (key.endsWith("/tenant_access_token/internal")) return "token";
        if (key.endsWith("/bot/v3/info")) return "bot info";
        if (key.endsWith("/scopes/apply")) return "apply";
        if (key.endsWith("/application/v6/scopes")) return "scopes list";
        if (key.contains("/app_versions/")) return "app version";
        if (key.contains("/applications/")) return "app info";
        if (key.endsWith("/reply")) return "reply";
        if (key.startsWith("PATCH") && key.contains("/im/v1/messages/")) return "card update";
        if (key.endsWith("/im/v1/messages")) return "send";
        if (key.endsWith("/subscribe")) return "approval subscribe";
        return key;
    }
}
