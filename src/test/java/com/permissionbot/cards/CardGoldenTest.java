package com.permissionbot.cards;

import com.permissionbot.Bot;
import com.permissionbot.support.CardJson;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.support.ChatScript;
import com.permissionbot.scopes.ApplyOutcome.Kind;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.domain.Quota;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every card with realistic data against {@code src/test/resources/golden/<name>.json} and a readable text per
 * language ({@code <name>.zh_cn.txt}, {@code <name>.en_us.txt}). Run with {@code -Dgolden.update=true} to rewrite them.
 */
class CardGoldenTest {
    private static final Path DIR = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ScopeCards CARDS = new ScopeCards(Fixtures.RENDERER);

    static Map<String, Supplier<Card>> cases() {
        CardRenderer r = Fixtures.RENDERER;
        Map<String, Supplier<Card>> c = new LinkedHashMap<>();
        c.put("help", CardGoldenTest::help);
        c.put("welcome", () -> r.render("welcome", Vars.of().text("chat_name", "平台研发群")));
        c.put("error", () -> r.render("error", Vars.of().text("what_zh", "内部错误，已记录。请稍后重试。")
                .text("what_en", "An internal error occurred and was logged. Please try again later.")
                .text("code", "internal").text("log_id", "-")));
        c.put("working", CARDS::working);
        c.put("missing", () -> CARDS.missing(Fixtures.scopes(), Fixtures.quota(3), 1, Fixtures.NONCE));
        c.put("missing_page2", () -> CARDS.missing(Fixtures.many(45, 12), Fixtures.quota(3), 2, Fixtures.NONCE));
        c.put("missing_quota_used_up", () -> CARDS.missing(Fixtures.scopes(), Fixtures.quota(Quota.LIMIT), 1, Fixtures.NONCE));
        c.put("all_granted", () -> CARDS.missing(Fixtures.many(0, 12), Fixtures.quota(3), 1, Fixtures.NONCE));
        c.put("status", () -> CARDS.status(Fixtures.scopes(), 1));
        c.put("status_page2", () -> CARDS.status(Fixtures.many(30, 30), 2));
        c.put("quota", () -> CARDS.quota(Fixtures.quota(3)));
        c.put("quota_fresh", () -> CARDS.quota(Fixtures.freshQuota()));
        c.put("list_failed", () -> CARDS.listFailed(99991663, "tenant access token invalid", Fixtures.LOG_ID));
        for (Kind k : Kind.values()) {
            c.put(ScopeCards.templateFor(k), () -> CARDS.outcome(Fixtures.outcome(k), Fixtures.VERSION, Fixtures.NONCE, Fixtures.REASON));
        }
        c.put("apply_cooldown_in_progress", () -> CARDS.outcome(new ApplyOutcome(Kind.COOLDOWN, 0, "", "", Duration.ofSeconds(5),
                List.of(), Fixtures.quota(4), null), Fixtures.VERSION, Fixtures.NONCE, ""));
        c.put("apply_rate_limited_no_wait", () -> CARDS.outcome(new ApplyOutcome(Kind.RATE_LIMITED, 99991400,
                "request trigger frequency limit", Fixtures.LOG_ID, null, List.of(), Fixtures.quota(3)), Fixtures.VERSION, Fixtures.NONCE, ""));
        List<String> swept = Fixtures.missingOf(Fixtures.scopes());
        c.put("apply_success_left_out", () -> CARDS.outcome(new ApplyOutcome(Kind.SUCCESS, 0, "success", Fixtures.LOG_ID, null,
                swept, Fixtures.quota(4), null, List.of("contact:user.employee_id:readonly"), null), Fixtures.VERSION, Fixtures.NONCE, ""));
        c.put("apply_success_none_left_out", () -> CARDS.outcome(new ApplyOutcome(Kind.SUCCESS, 0, "success", Fixtures.LOG_ID,
                null, swept, Fixtures.quota(4), null, List.of(), null), Fixtures.VERSION, Fixtures.NONCE, ""));
        c.put("apply_quota_exhausted_newer", () -> CARDS.outcome(new ApplyOutcome(Kind.QUOTA_EXHAUSTED, 212003,
                "approval over limit", Fixtures.LOG_ID, null, swept, Fixtures.quota(Quota.LIMIT), null, null,
                new Quota("2ed263bf32cf1651", "1.5.0", 0, false, null, null)), Fixtures.VERSION, Fixtures.NONCE, ""));
        c.putAll(com.permissionbot.diagnose.DiagnoseGoldenCases.cases(r));
        c.putAll(com.permissionbot.approval.ApprovalGoldenCases.cases(r));
        c.putAll(com.permissionbot.doctor.DoctorGoldenCases.cases(r));
        var grants = new com.permissionbot.chat.GrantCards(r);
        var request = new com.permissionbot.store.ApplyRequest(7, "tenant_1", "oc_chat", "om_card", "ou_alice", Fixtures.VERSION,
                List.of("approval:approval", "contact:user.base:readonly"), "pending", java.time.Instant.parse("2026-11-20T08:00:00Z"), null,
                "审批流要用：同步请假单 (sync leave requests)");
        c.put("grant_granted", () -> grants.granted(request, java.time.Duration.ofMinutes(95)));
        c.put("grant_partial", () -> grants.partlyGranted(request, List.of("approval:approval"), List.of("contact:user.base:readonly")));
        c.put("grant_expired", () -> grants.expired(request, request.scopes(), java.time.Duration.ofDays(7)));
        java.time.Instant now = java.time.Instant.parse("2026-11-22T09:30:00Z");
        c.put("grant_revoked", () -> grants.revoked(List.of("approval:approval"), List.of(), null, Fixtures.quota(3), Fixtures.NONCE));
        c.put("grant_revoked_waiting", () -> grants.revoked(List.of("approval:approval"), List.of("approval:approval"),
                request.createdAt(), Fixtures.quota(3), Fixtures.NONCE));
        c.put("grant_revoked_some_waiting", () -> grants.revoked(List.of("approval:approval", "im:message"),
                List.of("approval:approval"), request.createdAt(), Fixtures.quota(3), Fixtures.NONCE));
        var granted = new com.permissionbot.store.ApplyRequest(5, "tenant_1", "oc_chat", "om_card2", "ou_alice", Fixtures.VERSION,
                List.of("im:message"), "granted", java.time.Instant.parse("2026-11-18T02:00:00Z"),
                java.time.Instant.parse("2026-11-18T03:35:00Z"), "");
        var expired = new com.permissionbot.store.ApplyRequest(3, "tenant_1", "oc_chat", "om_card3", "ou_alice", Fixtures.VERSION,
                List.of("calendar:calendar", "drive:drive", "docx:document", "wiki:wiki", "sheets:spreadsheet", "bitable:app"),
                "expired", java.time.Instant.parse("2026-11-01T02:00:00Z"), null, "");
        String console = com.permissionbot.scopes.ConsoleLink.url("https://open.feishu.cn", "cli_a5d611352af9d00b",
                List.of(), "tenant");
        Duration week = Duration.ofDays(7);
        c.put("ops_request", () -> grants.opsRequest(request, "pending", List.of(), Fixtures.quota(4), request.createdAt(), week, console));
        c.put("ops_request_no_reason", () -> grants.opsRequest(granted, "pending", List.of(), Fixtures.quota(4), granted.createdAt(),
                week, console));
        c.put("ops_request_partial", () -> grants.opsRequest(request, "partial", List.of("contact:user.base:readonly"), Fixtures.quota(5),
                now, week, console));
        c.put("ops_request_granted", () -> grants.opsRequest(request, "granted", List.of(), Fixtures.quota(5), now, week, console));
        c.put("ops_request_expired", () -> grants.opsRequest(request, "expired", request.scopes(), Fixtures.quota(5),
                request.createdAt().plus(week), week, console));
        c.put("my_requests", () -> grants.mine(List.of(request, granted, expired), now));
        c.put("my_requests_closed", () -> grants.mine(List.of(granted), now));
        c.put("my_requests_none", () -> grants.mine(List.of(), now));
        return c;
    }

    /** The help card as the bot builds it: one command line per feature, from the registry. */
    private static Card help() {
        try (ChatScript chat = new ChatScript(java.nio.file.Files.createTempDirectory("golden-help"))) {
            return chat.bot.conversation.help();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    List<DynamicTest> every_card_matches_its_golden_files() {
        List<DynamicTest> tests = new ArrayList<>();
        cases().forEach((name, card) -> tests.add(DynamicTest.dynamicTest(name, () -> {
            Card c = card.get();
            compare(name + ".json", JSON.writeValueAsString(CardJson.tree(c)) + "\n");
            for (String lang : List.of("zh_cn", "en_us")) compare(name + "." + lang + ".txt", CardText.of(CardJson.tree(c), lang));
        })));
        return tests;
    }

    @Test
    void every_template_has_a_golden() {
        Set<String> rendered = cases().values().stream().map(c -> c.get().name()).collect(Collectors.toSet());
        for (String t : Bot.templates()) assertTrue(rendered.contains(t), "no golden case renders template " + t);
    }

    private static void compare(String file, String actual) throws IOException {
        Path p = DIR.resolve(file);
        if (UPDATE) {
            Files.createDirectories(DIR);
            Files.writeString(p, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(p)) fail("golden file " + p + " is missing; run with -Dgolden.update=true to write it");
        assertEquals(Files.readString(p, StandardCharsets.UTF_8), actual,
                "card differs from " + p + " (if the change is intended, rerun with -Dgolden.update=true and review the diff)");
    }
}
