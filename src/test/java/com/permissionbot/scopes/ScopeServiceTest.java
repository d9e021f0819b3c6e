package com.permissionbot.scopes;

import com.permissionbot.domain.Quota;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.MutableClock;

import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.feishu.AppInfo;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.ApplyOutcome.Kind;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScopeServiceTest {
    private static final String TENANT = "tk_1";
    private static final String CHAT = "oc_1";
    private static final String CARD = "om_card";
    private static final String ALICE = "ou_alice";
    private static final String BOB = "ou_bob";
    private static final Duration COOLDOWN = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    private final FakeGateway platform = new FakeGateway()
            .scope("contact:user.id:readonly", true)
            .scope("im:message", false)
            .scope("docx:document", false);
    private Store store;

    @BeforeEach
    void open() {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("t.db"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private ScopeService service() {
        return service(new BotConfig.Apply(Set.of(), COOLDOWN, "", java.time.Duration.ofSeconds(2)), "1.0.0");
    }

    private ScopeService service(BotConfig.Apply policy, String configuredVersion) {
        return service(policy, configuredVersion, "test");
    }

    /** {@code owner}: the process, as replicas are told apart by it. */
    private ScopeService service(BotConfig.Apply policy, String configuredVersion, String owner) {
        return new ScopeService(platform, RetryPolicy.immediate(), store, clock, policy, configuredVersion, owner);
    }

    private ApplyOutcome apply(ScopeService s, String who) {
        return s.apply(TENANT, CHAT, CARD, who, "");
    }

    // --- success and the ledger

    @Test
    void apply_sends_every_ungranted_scope_and_counts_one_application() {
        ApplyOutcome o = apply(service(), ALICE);
        assertEquals(Kind.SUCCESS, o.kind());
        assertEquals(0, o.code());
        assertEquals("log-ok", o.logId());
        assertEquals(List.of("docx:document", "im:message"), o.swept());
        assertEquals(1, o.quota().used());
        assertEquals("1.0.0", o.quota().version());
        assertEquals(ALICE, o.quota().lastBy());
        assertEquals(clock.instant(), o.quota().lastAt());
        assertEquals(1, platform.applyCalls.get());
    }

    @Test
    void a_successful_apply_is_saved_as_a_pending_request_with_the_swept_scopes() {
        apply(service(), ALICE);
        List<ApplyRequest> open = store.openApplyRequests(TENANT);
        assertEquals(1, open.size());
        ApplyRequest r = open.get(0);
        assertEquals(ApplyRequest.PENDING, r.status());
        assertEquals(List.of("docx:document", "im:message"), r.scopes());
        assertEquals(CHAT, r.chatId());
        assertEquals(CARD, r.messageId());
        assertEquals(ALICE, r.requesterOpenId());
        assertEquals("1.0.0", r.appVersion());
        assertEquals(List.of(r), store.applyRequestsBy(ALICE));
    }

    @Test
    void apply_twice_spends_quota_once() {
        ScopeService s = service();
        assertEquals(Kind.SUCCESS, apply(s, ALICE).kind());
        ApplyOutcome second = apply(s, ALICE);
        assertEquals(Kind.COOLDOWN, second.kind());
        assertEquals(1, second.quota().used());
        assertEquals(1, platform.applyCalls.get());
    }

    @Test
    void applications_add_up_per_version_and_survive_a_restart() {
        ScopeService s = service();
        apply(s, ALICE);
        clock.advance(COOLDOWN);
        apply(s, BOB);
        assertEquals(2, s.quota(TENANT).used());

        store.close();
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("t.db"));
        Quota q = service().quota(TENANT);
        assertEquals(2, q.used());
        assertEquals(BOB, q.lastBy());
        assertEquals(0, service(new BotConfig.Apply(Set.of(), COOLDOWN, "", java.time.Duration.ofSeconds(2)), "1.0.1").quota(TENANT).used(),
                "a new version starts from zero");
    }

    // --- each platform answer

    @ParameterizedTest(name = "{0} (HTTP {1}) is {2}, counting {3}")
    @CsvSource({
            "212001, 400, ONLY_SUPER_SCOPES, 0",
            "212002, 400, NOTHING_TO_APPLY,  0",
            "212004, 400, DUPLICATE,         0",
            "212100, 400, NOT_INSTALLED,     0",
            "99991400, 429, RATE_LIMITED,    0",
            "-1,     0,   UNCERTAIN,         0",
            "2200,   500, UNCERTAIN,         0",
            "99991672, 400, FAILED,          0",
    })
    void each_platform_answer_has_its_outcome_and_only_success_counts(int code, int http, Kind kind, int used) {
        platform.applyAnswers(FakeGateway.fail(code, http));
        ApplyOutcome o = apply(service(), ALICE);
        assertEquals(kind, o.kind());
        assertEquals(code, o.code());
        assertEquals("log-" + code, o.logId());
        assertEquals("code " + code, o.msg());
        assertEquals(used, o.quota().used());
        assertFalse(o.quota().exhausted());
        assertEquals(List.of("docx:document", "im:message"), o.swept(), "what the application would have covered");
        assertTrue(store.openApplyRequests(TENANT).isEmpty(), "only a success is watched for the grant");
        AuditEntry a = store.recentAudit(1).get(0);
        assertEquals(code, a.code());
        assertEquals("log-" + code, a.logId());
    }

    @Test
    void approval_over_limit_marks_the_version_used_up_and_shows_ten_of_ten() {
        ScopeService s = service();
        apply(s, ALICE);
        clock.advance(COOLDOWN);
        platform.applyAnswers(FakeGateway.fail(212003, 400));
        ApplyOutcome o = apply(s, BOB);
        assertEquals(Kind.QUOTA_EXHAUSTED, o.kind());
        assertEquals(212003, o.code());
        assertTrue(o.quota().exhausted());
        assertEquals(1, o.quota().used(), "applications made through the bot");
        assertEquals(Quota.LIMIT, o.quota().shown());
        assertEquals(0, o.quota().left());
        assertEquals(ALICE, o.quota().lastBy(), "the last application is still the last successful one");
        assertTrue(s.quota(TENANT).exhausted());
    }

    @Test
    void rate_limited_apply_says_when_to_retry() {
        platform.applyAnswers(FakeGateway.rateLimited(Duration.ofSeconds(42)));
        ApplyOutcome o = apply(service(), ALICE);
        assertEquals(Kind.RATE_LIMITED, o.kind());
        assertEquals(Duration.ofSeconds(42), o.retryAfter());
        assertEquals(0, o.quota().used());
    }

    @Test
    void a_gateway_that_throws_is_uncertain_not_an_error() {
        FakeGateway throwing = new FakeGateway() {
            @Override
            public PlatformResult<Void> applyScopes() {
                throw new IllegalStateException("boom");
            }
        };
        throwing.scope("im:message", false);
        ScopeService s = new ScopeService(throwing, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), COOLDOWN, "", java.time.Duration.ofSeconds(2)), "1.0.0", "test");
        ApplyOutcome o = s.apply(TENANT, CHAT, CARD, ALICE, "");
        assertEquals(Kind.UNCERTAIN, o.kind());
        assertEquals(0, o.quota().used());
    }

    // --- guards

    @Test
    void someone_off_the_allow_list_gets_not_allowed_and_nothing_is_called() {
        ScopeService s = service(new BotConfig.Apply(Set.of(ALICE), COOLDOWN, "", java.time.Duration.ofSeconds(2)), "1.0.0");
        ApplyOutcome o = apply(s, BOB);
        assertEquals(Kind.NOT_ALLOWED, o.kind());
        assertEquals(0, platform.listCalls.get());
        assertEquals(0, platform.applyCalls.get());
        assertTrue(store.recentAudit(10).isEmpty());
        assertEquals(Kind.SUCCESS, apply(s, ALICE).kind(), "the cooldown was not started by the refused click");
    }

    @Test
    void an_empty_allow_list_lets_anyone_apply() {
        assertEquals(Kind.SUCCESS, apply(service(), "ou_anyone").kind());
    }

    @Test
    void a_second_apply_within_the_cooldown_calls_nothing_and_says_how_long_to_wait() {
        ScopeService s = service();
        apply(s, ALICE);
        int lists = platform.listCalls.get();
        clock.advance(Duration.ofSeconds(4));
        ApplyOutcome o = apply(s, BOB);
        assertEquals(Kind.COOLDOWN, o.kind());
        assertEquals(Duration.ofSeconds(6), o.retryAfter());
        assertEquals(lists, platform.listCalls.get());
        assertEquals(1, platform.applyCalls.get());
        AuditEntry a = store.recentAudit(1).get(0);
        assertEquals("cooldown", a.detail());
        assertEquals(BOB, a.actor());
        assertNull(a.code());

        clock.advance(Duration.ofSeconds(6));
        assertEquals(Kind.SUCCESS, apply(s, BOB).kind());
        assertEquals(2, platform.applyCalls.get());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"212001,400", "212002,400", "212004,400", "212100,400", "99991400,429", "99991663,400"})
    void an_outcome_that_created_no_application_starts_no_cooldown(int code, int http) {
        ScopeService s = service();
        platform.applyAnswers(code == 99991400 ? FakeGateway.rateLimited(Duration.ofSeconds(3)) : FakeGateway.fail(code, http));
        assertTrue(apply(s, ALICE).kind() != Kind.SUCCESS);
        assertEquals(Kind.SUCCESS, apply(s, BOB).kind(), "the next click goes to the platform at once");
        assertEquals(2, platform.applyCalls.get());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"0,200", "5000,500", "-1,0"})
    void an_application_that_may_have_spent_quota_starts_the_cooldown_naming_who_and_when(int code, int http) {
        ScopeService s = service();
        if (code != 0) platform.applyAnswers(code == -1 ? PlatformResult.network("SocketTimeoutException") : FakeGateway.fail(code, http));
        Instant at = clock.instant();
        apply(s, ALICE);
        clock.advance(Duration.ofSeconds(3));
        ApplyOutcome o = apply(s, BOB);
        assertEquals(Kind.COOLDOWN, o.kind());
        assertEquals(ALICE, o.earlier().by());
        assertEquals(at, o.earlier().at());
        assertEquals(Duration.ofSeconds(7), o.retryAfter());
        assertEquals(1, platform.applyCalls.get());
    }

    @Test
    void replicas_racing_to_apply_for_one_tenant_apply_one_at_a_time() throws Exception {
        platform.applyTakes(Duration.ofMillis(30));
        BotConfig.Apply noCooldown = new BotConfig.Apply(Set.of(), Duration.ZERO, "", java.time.Duration.ofSeconds(2));
        platform.applyAnswers(FakeGateway.fail(212004, 400), FakeGateway.fail(212004, 400), FakeGateway.fail(212004, 400),
                FakeGateway.fail(212004, 400), FakeGateway.fail(212004, 400), FakeGateway.fail(212004, 400));
        ScopeService a = service(noCooldown, "1.0.0", "replica-a");
        ScopeService b = service(noCooldown, "1.0.0", "replica-b");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<ApplyOutcome>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ScopeService s = i % 2 == 0 ? a : b;
            all.add(pool.submit(() -> apply(s, ALICE)));
        }
        for (Future<ApplyOutcome> f : all) f.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        assertEquals(1, platform.maxApplyInFlight.get(), "never two applies in flight for one tenant");
    }

    @Test
    void the_cooldown_holds_across_replicas_sharing_the_store() {
        ScopeService replicaA = service();
        ScopeService replicaB = service();
        assertEquals(Kind.SUCCESS, apply(replicaA, ALICE).kind());
        assertEquals(Kind.COOLDOWN, apply(replicaB, ALICE).kind());
        assertEquals(1, platform.applyCalls.get());
    }

    @Test
    void nothing_ungranted_makes_no_apply_call_and_spends_nothing() {
        platform.grantAll();
        ApplyOutcome o = apply(service(), ALICE);
        assertEquals(Kind.NOTHING_TO_APPLY, o.kind());
        assertEquals(0, platform.applyCalls.get());
        assertEquals(0, o.quota().used());
        assertTrue(o.swept().isEmpty());
        AuditEntry a = store.recentAudit(1).get(0);
        assertEquals("nothing to apply", a.detail());
        assertEquals(0, a.code());
    }

    @Test
    void the_check_before_applying_ignores_a_cached_list() {
        ScopeService s = service();
        assertEquals(2, s.status(TENANT).value().ungranted().size());
        platform.grantAll();
        assertEquals(2, s.status(TENANT).value().ungranted().size(), "still cached");
        ApplyOutcome o = apply(s, ALICE);
        assertEquals(Kind.NOTHING_TO_APPLY, o.kind());
        assertEquals(0, platform.applyCalls.get());
        assertTrue(s.status(TENANT).value().ungranted().isEmpty(), "the fresh list refreshed the cache");
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_failing_scopes_list_is_reported_and_nothing_is_applied() {
        platform.listFails(FakeGateway.fail(212100, 400));
        ApplyOutcome o = apply(service(), ALICE);
        assertEquals(Kind.NOT_INSTALLED, o.kind());
        assertEquals(212100, o.code());
        assertEquals("log-212100", o.logId());
        assertEquals(0, platform.applyCalls.get());
        assertEquals("scopes list failed", store.recentAudit(1).get(0).detail());
    }

    @Test
    void a_rate_limited_or_unanswered_scopes_list_is_reported_as_such() {
        platform.listFails(FakeGateway.rateLimited(Duration.ofSeconds(7)));
        ApplyOutcome limited = apply(service(), ALICE);
        assertEquals(Kind.RATE_LIMITED, limited.kind());
        assertEquals(Duration.ofSeconds(7), limited.retryAfter());

        clock.advance(COOLDOWN);
        platform.listFails(PlatformResult.network("SocketTimeoutException"));
        assertEquals(Kind.NOT_SENT, apply(service(), ALICE).kind(), "the apply call was never made");

        clock.advance(COOLDOWN);
        platform.listFails(FakeGateway.fail(99991663, 400));
        assertEquals(Kind.FAILED, apply(service(), ALICE).kind());
        assertEquals(0, platform.applyCalls.get());
    }

    // --- concurrency

    @Test
    void eight_concurrent_applies_on_one_tenant_make_one_platform_call() throws Exception {
        platform.applyTakes(Duration.ofMillis(50));
        List<ApplyOutcome> outcomes = race(8, service());
        assertEquals(1, platform.applyCalls.get());
        assertEquals(1, outcomes.stream().filter(o -> o.kind() == Kind.SUCCESS).count());
        assertEquals(7, outcomes.stream().filter(o -> o.kind() == Kind.COOLDOWN).count());
        assertEquals(1, store.quota(TENANT, "1.0.0").used());
    }

    @Test
    void without_a_cooldown_applies_in_one_process_still_never_overlap() throws Exception {
        platform.applyTakes(Duration.ofMillis(20));
        race(8, service(new BotConfig.Apply(Set.of(), Duration.ZERO, "", java.time.Duration.ofSeconds(2)), "1.0.0"));
        assertEquals(1, platform.maxApplyInFlight.get());
        assertEquals(platform.applyCalls.get(), store.quota(TENANT, "1.0.0").used());
    }

    private List<ApplyOutcome> race(int threads, ScopeService s) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ApplyOutcome>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            String who = "ou_" + i;
            Callable<ApplyOutcome> c = () -> {
                go.await();
                return s.apply(TENANT, CHAT, CARD, who, "");
            };
            futures.add(pool.submit(c));
        }
        go.countDown();
        List<ApplyOutcome> out = new ArrayList<>();
        for (Future<ApplyOutcome> f : futures) out.add(f.get(30, TimeUnit.SECONDS));
        pool.shutdown();
        return out;
    }

    // --- status cache

    @Test
    void status_is_cached_for_a_minute_then_read_again() {
        ScopeService s = service();
        assertTrue(s.status(TENANT).ok());
        s.status(TENANT);
        clock.advance(ScopeService.STATUS_TTL.minusMillis(1));
        s.status(TENANT);
        assertEquals(1, platform.listCalls.get());
        clock.advance(Duration.ofMillis(1));
        assertEquals(List.of("contact:user.id:readonly"), s.status(TENANT).value().granted());
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_failed_status_is_kept_only_a_few_seconds() {
        platform.listFails(FakeGateway.fail(212100, 400));
        ScopeService s = service();
        assertFalse(s.status(TENANT).ok());
        s.status(TENANT);
        assertEquals(1, platform.listCalls.get(), "not asked again by every message");
        platform.listFails(null);
        clock.advance(ScopeService.FAILED_STATUS_TTL);
        assertTrue(s.status(TENANT).ok());
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_failed_fresh_read_leaves_the_cached_list_to_the_chat() {
        ScopeService s = service();
        s.status(TENANT);
        platform.listFails(FakeGateway.fail(212100, 400));
        assertFalse(s.freshStatus(TENANT).ok());
        assertTrue(s.status(TENANT).ok());
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_fresh_read_refreshes_the_cache() {
        ScopeService s = service();
        s.status(TENANT);
        platform.grantAll();
        clock.advance(ScopeService.STATUS_TTL.minusSeconds(1));
        s.freshStatus(TENANT);
        clock.advance(ScopeService.STATUS_TTL.minusSeconds(1));
        assertEquals(List.of(), s.status(TENANT).value().ungranted());
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void status_is_cached_per_tenant() {
        ScopeService s = service();
        s.status("tk_a");
        s.status("tk_b");
        s.status("tk_a");
        assertEquals(2, platform.listCalls.get());
    }

    @Test
    void a_failed_status_keeps_the_platform_code_and_log_id() {
        platform.listFails(FakeGateway.fail(212100, 400));
        PlatformResult<ScopeStatus> r = service().status(TENANT);
        assertFalse(r.ok());
        assertEquals(212100, r.code());
        assertEquals("log-212100", r.logId());
        assertNull(r.value());
    }

    @Test
    void any_apply_drops_the_cached_status() {
        ScopeService s = service();
        platform.applyAnswers(FakeGateway.fail(212004, 400));
        apply(s, ALICE);
        int lists = platform.listCalls.get();
        s.status(TENANT);
        assertEquals(lists + 1, platform.listCalls.get());
    }

    // --- version

    private ScopeService fromApi() {
        return service(new BotConfig.Apply(Set.of(), COOLDOWN, "0.9.0", Duration.ofSeconds(2)), "");
    }

    @Test
    void the_configured_version_wins_and_the_api_is_not_asked() {
        platform.publish("2.0.0");
        ScopeService s = service(new BotConfig.Apply(Set.of(), COOLDOWN, "0.9.0", java.time.Duration.ofSeconds(2)), "1.0.0");
        assertEquals("1.0.0", s.currentVersion());
        assertEquals("1.0.0", s.freshQuota(TENANT).version());
        assertEquals("1.0.0", apply(s, ALICE).quota().version());
        assertEquals(0, platform.infoCalls.get() + platform.versionCalls.get());
    }

    @Test
    void the_version_is_cached_a_minute_and_a_number_is_read_once_per_version_id() {
        ScopeService s = fromApi();
        assertEquals("1.0.0", s.currentVersion());
        assertEquals("1.0.0", s.currentVersion());
        assertEquals(1, platform.infoCalls.get());
        assertEquals(1, platform.versionCalls.get());

        clock.advance(ScopeService.STATUS_TTL);
        assertEquals("1.0.0", s.currentVersion());
        assertEquals(2, platform.infoCalls.get());
        assertEquals(1, platform.versionCalls.get(), "the same version id: its number is known");

        platform.publish("2.1.0");
        assertEquals("1.0.0", s.currentVersion(), "within the minute");
        clock.advance(ScopeService.STATUS_TTL);
        assertEquals("2.1.0", s.currentVersion());
        assertEquals(3, platform.infoCalls.get());
        assertEquals(2, platform.versionCalls.get());
    }

    @Test
    void quota_reads_the_version_now_so_a_version_published_a_moment_ago_shows() {
        ScopeService s = fromApi();
        assertEquals("1.0.0", s.freshQuota(TENANT).version());
        platform.publish("1.0.1");
        assertEquals("1.0.0", s.currentVersion(), "cards that only show the version may be up to a minute late");
        assertEquals("1.0.1", s.freshQuota(TENANT).version());
        assertEquals("1.0.1", s.currentVersion(), "the fresh read refreshed the cache");
    }

    @Test
    void apply_reads_the_version_right_before_applying_and_counts_against_it() {
        ScopeService s = fromApi();
        assertEquals("1.0.0", s.currentVersion());
        platform.publish("1.0.1");
        ApplyOutcome o = apply(s, ALICE);
        assertEquals(Kind.SUCCESS, o.kind());
        assertEquals("1.0.1", o.quota().version());
        assertEquals(1, store.quota(TENANT, "1.0.1").used());
        assertEquals(0, store.quota(TENANT, "1.0.0").used());
        assertEquals("1.0.1", store.openApplyRequests(TENANT).get(0).appVersion());
    }

    @Test
    void an_apply_costs_one_applications_api_call_when_the_version_is_unchanged() {
        ScopeService s = fromApi();
        s.currentVersion();
        int info = platform.infoCalls.get();
        int versions = platform.versionCalls.get();
        apply(s, ALICE);
        assertEquals(info + 1, platform.infoCalls.get());
        assertEquals(versions, platform.versionCalls.get());
    }

    @Test
    void after_ten_of_ten_a_new_version_makes_apply_succeed_and_count_one_on_it() {
        ScopeService s = fromApi();
        platform.applyAnswers(FakeGateway.fail(212003, 400));
        assertEquals(Kind.QUOTA_EXHAUSTED, apply(s, ALICE).kind());
        assertTrue(s.quota(TENANT).exhausted());
        assertEquals("1.0.0", s.quota(TENANT).version());

        platform.publish("1.0.1");
        Quota shown = s.quota(TENANT);
        assertEquals("1.0.1", shown.version(), "a used-up version is read again before it is believed");
        assertFalse(shown.exhausted());
        ApplyOutcome o = apply(s, ALICE);
        assertEquals(Kind.SUCCESS, o.kind());
        assertEquals("1.0.1", o.quota().version());
        assertEquals(1, o.quota().used());
        assertTrue(store.quota(TENANT, "1.0.0").exhausted());
    }

    @Test
    void on_212003_the_version_is_read_once_more_and_a_version_published_since_is_offered() {
        ScopeService s = fromApi();
        FakeGateway publishing = new FakeGateway() {
            @Override
            public PlatformResult<Void> applyScopes() {
                PlatformResult<Void> r = super.applyScopes();
                publish("1.0.1");
                return r;
            }
        };
        publishing.scope("im:message", false).applyAnswers(FakeGateway.fail(212003, 400));
        ScopeService racing = new ScopeService(publishing, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), COOLDOWN, "", Duration.ofSeconds(2)), "", "test");
        ApplyOutcome o = apply(racing, ALICE);
        assertEquals(Kind.QUOTA_EXHAUSTED, o.kind());
        assertEquals("1.0.0", o.quota().version(), "the version the platform answered for");
        assertTrue(store.quota(TENANT, "1.0.0").exhausted());
        assertEquals("1.0.1", o.newer().version());
        assertFalse(o.newer().exhausted(), "a new version starts with 10");
        assertEquals(2, publishing.infoCalls.get(), "read before the apply, and once after the 212003");

        platform.applyAnswers(FakeGateway.fail(212003, 400));
        ApplyOutcome same = apply(s, ALICE);
        assertNull(same.newer(), "no version was published in between");
    }

    @Test
    void callers_that_ask_while_a_read_is_under_way_share_the_next_one() throws Exception {
        FakeGateway slow = new FakeGateway() {
            @Override
            public PlatformResult<AppInfo> appInfo() {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.appInfo();
            }
        };
        ScopeService s = new ScopeService(slow, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), COOLDOWN, "", Duration.ofSeconds(2)), "", "test");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Quota>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) all.add(pool.submit(() -> s.freshQuota(TENANT)));
        for (Future<Quota> f : all) assertEquals("1.0.0", f.get(10, TimeUnit.SECONDS).version());
        pool.shutdown();
        assertTrue(slow.infoCalls.get() <= 2, "8 callers within one read: " + slow.infoCalls.get() + " calls");
    }

    @Test
    void when_the_api_cannot_say_the_fallback_is_used_and_the_api_is_not_hammered() {
        platform.appInfoFails(FakeGateway.fail(99991672, 400));
        ScopeService s = fromApi();
        assertEquals("0.9.0", s.currentVersion());
        assertEquals("0.9.0", s.currentVersion());
        assertEquals("0.9.0", s.freshQuota(TENANT).version());
        assertEquals(1, platform.infoCalls.get(), "not even a fresh read within a minute of a failure");
        clock.advance(OnlineVersion.RETRY);
        platform.appInfoFails(null);
        assertEquals("1.0.0", s.currentVersion());
    }

    @Test
    void a_version_number_that_cannot_be_read_is_a_failed_read() {
        platform.versionFails(FakeGateway.rateLimited(Duration.ofSeconds(90)));
        ScopeService s = fromApi();
        assertEquals("0.9.0", s.currentVersion());
        clock.advance(OnlineVersion.RETRY);
        assertEquals("0.9.0", s.currentVersion(), "the platform asked for 90 s");
        platform.versionFails(null);
        clock.advance(Duration.ofSeconds(30));
        assertEquals("1.0.0", s.currentVersion());
    }

    @Test
    void with_no_source_at_all_the_version_is_unknown() {
        platform.appInfoFails(PlatformResult.network("ConnectException"));
        ScopeService s = service(new BotConfig.Apply(Set.of(), COOLDOWN, "", java.time.Duration.ofSeconds(2)), "");
        assertEquals(ScopeService.UNKNOWN_VERSION, s.currentVersion());
        assertEquals("unknown", s.quota(TENANT).version());
    }

    @Test
    void a_later_api_failure_keeps_the_last_version_it_named() {
        ScopeService s = fromApi();
        assertEquals("1.0.0", s.currentVersion());
        clock.advance(ScopeService.STATUS_TTL);
        platform.appInfoFails(FakeGateway.fail(5000, 500));
        assertEquals("1.0.0", s.currentVersion());
        assertEquals("1.0.0", s.freshQuota(TENANT).version());
    }

    // --- what the application left out

    @Test
    void a_success_names_the_swept_scopes_feishu_leaves_out_of_the_application() {
        platform.level("docx:document", AppInfo.SUPER_LEVEL).level("im:message", 1);
        ApplyOutcome o = apply(fromApi(), ALICE);
        assertEquals(Kind.SUCCESS, o.kind());
        assertEquals(List.of("docx:document", "im:message"), o.swept());
        assertEquals(List.of("docx:document"), o.leftOut());
    }

    @Test
    void without_the_app_info_nobody_knows_what_was_left_out() {
        assertNull(apply(service(), ALICE).leftOut(), "FEISHU_APP_VERSION set: the applications API is not read");
        clock.advance(COOLDOWN);
        platform.appInfoFails(FakeGateway.fail(99991672, 400));
        assertNull(apply(fromApi(), BOB).leftOut());
    }

    // --- audit

    @Test
    void every_apply_attempt_past_the_allow_list_leaves_one_audit_row() {
        ScopeService s = service();
        apply(s, ALICE);
        apply(s, BOB);
        List<AuditEntry> rows = store.recentAudit(10);
        assertEquals(2, rows.size());
        AuditEntry applied = rows.get(1);
        assertEquals("apply", applied.action());
        assertEquals(TENANT, applied.tenantKey());
        assertEquals(CHAT, applied.chatId());
        assertEquals(ALICE, applied.actor());
        assertEquals("docx:document,im:message", applied.detail());
        assertEquals(0, applied.code());
        assertEquals("log-ok", applied.logId());
        assertEquals("cooldown", rows.get(0).detail());
    }
}
