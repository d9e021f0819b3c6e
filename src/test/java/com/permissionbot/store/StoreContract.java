package com.permissionbot.store;

import com.permissionbot.cards.Card;
import com.permissionbot.domain.Quota;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link Store} implementation must show; each implementation's test extends this. The tests
 * named {@code replicas_…} open a second store on the same database, as a second replica (its own pool) would.
 */
public abstract class StoreContract {
    protected Store store;
    private final List<Store> others = new ArrayList<>();
    private final Instant t0 = Instant.parse("2026-11-22T00:00:00Z");

    /** A fresh, empty store. */
    protected abstract Store open() throws Exception;

    /** Another store (its own connection pool) on the database the last {@link #open()} made, as a second replica. */
    protected abstract Store openAnother() throws Exception;

    private Store another() throws Exception {
        Store s = openAnother();
        others.add(s);
        return s;
    }

    @BeforeEach
    void setUp() throws Exception {
        store = open();
    }

    @AfterEach
    void tearDown() {
        for (Store s : others) s.close();
        store.close();
    }

    /** Runs {@code n} tasks on {@code threads} threads, task i getting store i % 2 of {@code stores}; waits for all. */
    private static void race(int threads, int n, List<Store> stores, java.util.function.BiConsumer<Integer, Store> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            done.add(pool.submit(() -> {
                go.await();
                task.accept(k, stores.get(k % stores.size()));
                return null;
            }));
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        for (var f : done) f.get();
    }

    private InboxRow row(String key, String eventId) {
        return InboxRow.incoming(key, eventId, "im.message.receive_v1", "t1", "{\"k\":\"" + key + "\"}", t0);
    }

    @Test
    void inbox_insert_returns_the_stored_row_with_an_id() {
        InboxRow r = store.inboxInsert(row("msg:1", "e1"), "a", t0.plusSeconds(60)).orElseThrow();
        assertTrue(r.id() > 0);
        assertEquals("msg:1", r.dedupKey());
        assertEquals(InboxRow.WORKING, r.status());
        assertEquals(1, store.inboxDepth());
    }

    @Test
    void inbox_refuses_a_repeated_dedup_key_or_event_id() {
        assertTrue(store.inboxInsert(row("msg:1", "e1"), "a", t0).isPresent());
        assertTrue(store.inboxInsert(row("msg:1", "e2"), "a", t0).isEmpty(), "same message under a new event id");
        assertTrue(store.inboxInsert(row("msg:2", "e1"), "a", t0).isEmpty(), "same event id");
        assertTrue(store.inboxInsert(row("event:e3", "e3"), "a", t0).isPresent());
        assertEquals(2, store.inboxDepth());
    }

    @Test
    void concurrent_inserts_of_one_event_store_it_once() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 64; i++) {
            pool.execute(() -> store.inboxInsert(row("msg:same", "e-same"), "a", t0).ifPresent(r -> ids.add(r.id())));
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(1, ids.size());
    }

    @Test
    void claim_takes_pending_and_expired_rows_but_not_live_leases() {
        long live = store.inboxInsert(row("msg:live", "e1"), "a", t0.plusSeconds(60)).orElseThrow().id();
        long dead = store.inboxInsert(row("msg:dead", "e2"), "a", t0.minusSeconds(1)).orElseThrow().id();
        long released = store.inboxInsert(row("msg:rel", "e3"), "a", t0.plusSeconds(60)).orElseThrow().id();
        store.inboxRelease(released, "a");
        List<InboxRow> got = store.inboxClaim("b", t0, Duration.ofSeconds(30), 10);
        assertEquals(List.of(dead, released), got.stream().map(InboxRow::id).toList());
        assertEquals(2, got.get(0).attempts(), "a takeover counts as another attempt");
        assertTrue(store.inboxClaim("c", t0, Duration.ofSeconds(30), 10).isEmpty(), "now leased to b");
        assertFalse(store.inboxFinish(live, "b", InboxRow.DONE, null, t0), "b does not own the live row");
        assertTrue(store.inboxFinish(live, "a", InboxRow.DONE, null, t0));
    }

    @Test
    void renewed_lease_is_not_taken_over() {
        long id = store.inboxInsert(row("msg:1", "e1"), "a", t0.plusSeconds(10)).orElseThrow().id();
        store.inboxRenew("a", List.of(id), t0.plusSeconds(100));
        assertTrue(store.inboxClaim("b", t0.plusSeconds(50), Duration.ofSeconds(30), 10).isEmpty());
        assertEquals(1, store.inboxClaim("b", t0.plusSeconds(101), Duration.ofSeconds(30), 10).size());
    }

    @Test
    void finished_rows_leave_the_depth_and_purge_after_retention_but_keep_deduplicating_until_then() {
        long id = store.inboxInsert(row("msg:1", "e1"), "a", t0).orElseThrow().id();
        assertTrue(store.inboxFinish(id, "a", InboxRow.DONE, null, t0));
        assertEquals(0, store.inboxDepth());
        assertTrue(store.inboxInsert(row("msg:1", "e9"), "a", t0).isEmpty());
        assertEquals(0, store.inboxPurge(t0));
        assertEquals(1, store.inboxPurge(t0.plusSeconds(1)));
        assertTrue(store.inboxFind("msg:1").isEmpty());
    }

    @Test
    void two_claimers_racing_never_get_the_same_row() throws Exception {
        for (int i = 0; i < 200; i++) {
            long id = store.inboxInsert(row("msg:" + i, "e" + i), "dead", t0).orElseThrow().id();
            store.inboxRelease(id, "dead");
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<List<InboxRow>> got = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < 4; w++) {
            String owner = "w" + w;
            pool.execute(() -> {
                List<InboxRow> mine = new ArrayList<>();
                List<InboxRow> batch;
                while (!(batch = store.inboxClaim(owner, t0, Duration.ofSeconds(30), 7)).isEmpty()) mine.addAll(batch);
                got.add(mine);
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        Set<Long> seen = new java.util.HashSet<>();
        int total = 0;
        for (List<InboxRow> l : got) for (InboxRow r : l) {
            assertTrue(seen.add(r.id()), "row " + r.id() + " claimed twice");
            total++;
        }
        assertEquals(200, total);
    }

    @Test
    void a_click_is_claimed_once_and_repeats_get_the_stored_answer() {
        String key = "om_1|ou_1|{action=apply}";
        Instant deadline = t0.plusSeconds(30);
        ActionClaim first = store.claimAction(key, t0, deadline);
        assertTrue(first.fresh());
        ActionClaim during = store.claimAction(key, t0, deadline);
        assertFalse(during.fresh());
        assertFalse(during.finished());
        assertEquals(deadline, during.deadline());
        ClickAnswer answer = new ClickAnswer("success", "已提交。", "Sent.", "apply_success", "{\"schema\":\"2.0\",\"body\":{\"elements\":[]}}");
        store.finishAction(key, answer, t0);
        ActionClaim after = store.claimAction(key, t0.plusSeconds(60), t0.plusSeconds(90));
        assertTrue(after.finished());
        assertEquals(answer, after.response(), "the toast in both languages and the card, as given");
        store.releaseAction(key);
        assertTrue(store.claimAction(key, t0, deadline).fresh());
    }

    @Test
    void a_click_whose_handler_died_is_taken_over_after_its_deadline_unless_it_left_a_fallback() {
        String key = "om_1|ou_1|{action=apply}";
        assertTrue(store.claimAction(key, t0, t0.plusSeconds(30)).fresh());
        assertFalse(store.claimAction(key, t0.plusSeconds(29), t0.plusSeconds(59)).fresh(), "still within its time");
        assertTrue(store.claimAction(key, t0.plusSeconds(31), t0.plusSeconds(61)).fresh(), "died with nothing to give: run again");

        ClickAnswer fallback = new ClickAnswer("warning", "不确定。", "Unknown.", null, null);
        store.holdAction(key, fallback, t0.plusSeconds(120));
        ActionClaim held = store.claimAction(key, t0.plusSeconds(100), t0.plusSeconds(130));
        assertFalse(held.fresh());
        assertFalse(held.finished());
        assertEquals(t0.plusSeconds(120), held.deadline());
        ActionClaim late = store.claimAction(key, t0.plusSeconds(121), t0.plusSeconds(151));
        assertFalse(late.fresh(), "slow work that never reported back is not run again: its fallback is the answer");
        assertEquals(fallback, late.response());
    }

    @Test
    void racing_clicks_have_exactly_one_winner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Set<Integer> winners = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 50; i++) {
            int n = i;
            pool.execute(() -> {
                if (store.claimAction("om_race|ou_1|{action=apply}", t0, t0.plusSeconds(30)).fresh()) winners.add(n);
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(1, winners.size());
    }

    @Test
    void audit_rows_come_back_newest_first() {
        store.audit(new AuditEntry(t0, "t1", "oc_1", "ou_1", "apply", "a,b", 0, "log1"));
        store.audit(new AuditEntry(t0.plusSeconds(1), "t1", "oc_1", "ou_2", "apply", "", null, null));
        List<AuditEntry> rows = store.recentAudit(10);
        assertEquals(2, rows.size());
        assertEquals("ou_2", rows.get(0).actor());
        assertNull(rows.get(0).code());
        assertEquals(0, rows.get(1).code());
        assertEquals("log1", rows.get(1).logId());
    }

    @Test
    void an_unused_version_has_no_applications() {
        Quota q = store.quota("t1", "1.0.0");
        assertEquals(0, q.used());
        assertFalse(q.exhausted());
        assertNull(q.lastAt());
        assertNull(q.lastBy());
        assertEquals("t1", q.tenantKey());
        assertEquals("1.0.0", q.version());
    }

    @Test
    void recorded_applications_count_per_tenant_and_version_and_remember_the_last() {
        assertEquals(1, store.recordApplied("t1", "1.0.0", "ou_a", t0).used());
        Quota q = store.recordApplied("t1", "1.0.0", "ou_b", t0.plusSeconds(5));
        assertEquals(2, q.used());
        assertEquals("ou_b", q.lastBy());
        assertEquals(t0.plusSeconds(5), q.lastAt());
        assertEquals(q, store.quota("t1", "1.0.0"));
        assertEquals(0, store.quota("t1", "1.0.1").used());
        assertEquals(0, store.quota("t2", "1.0.0").used());
    }

    @Test
    void concurrent_recorded_applications_are_never_lost() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 40; i++) {
            String who = "ou_" + i;
            pool.execute(() -> store.recordApplied("t1", "1.0.0", who, t0));
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(40, store.quota("t1", "1.0.0").used());
    }

    @Test
    void an_exhausted_version_shows_ten_of_ten_and_keeps_its_count() {
        store.recordApplied("t1", "1.0.0", "ou_a", t0);
        Quota q = store.markExhausted("t1", "1.0.0", t0.plusSeconds(1));
        assertTrue(q.exhausted());
        assertEquals(1, q.used());
        assertEquals(Quota.LIMIT, q.shown());
        assertEquals("ou_a", q.lastBy());
        assertTrue(store.quota("t1", "1.0.0").exhausted());
        Quota fresh = store.markExhausted("t1", "2.0.0", t0);
        assertTrue(fresh.exhausted());
        assertEquals(0, fresh.used());
        assertFalse(store.quota("t1", "3.0.0").exhausted());
    }

    @Test
    void the_last_application_that_may_have_spent_quota_is_remembered_with_who_made_it() {
        assertTrue(store.lastApplyStart("t1").isEmpty());
        store.noteApplyStart("t1", t0, "ou_alice");
        store.noteApplyStart("t2", t0.plusSeconds(5), "ou_bob");
        assertEquals(Optional.of(new ApplyStart(t0, "ou_alice")), store.lastApplyStart("t1"));
        store.noteApplyStart("t1", t0.plusSeconds(10), "ou_carol");
        assertEquals(Optional.of(new ApplyStart(t0.plusSeconds(10), "ou_carol")), store.lastApplyStart("t1"));
        assertEquals("ou_bob", store.lastApplyStart("t2").orElseThrow().by());
    }

    @Test
    void the_watch_schedule_is_shared_and_keeps_the_last_check() {
        assertTrue(store.lastWatchCheck("t1").isEmpty());
        store.noteWatchCheck("t1", t0);
        store.noteWatchCheck("t1", t0.plusSeconds(60));
        assertEquals(Optional.of(t0.plusSeconds(60)), store.lastWatchCheck("t1"));
        assertTrue(store.lastWatchCheck("t2").isEmpty(), "per tenant");
    }

    @Test
    void the_backlog_counts_unfinished_events_and_undelivered_cards_with_the_oldest_of_each() {
        assertEquals(new Backlog(0, null, 0, null), store.backlog());
        InboxRow older = InboxRow.incoming("msg:1", "e1", "im.message.receive_v1", "t1", "{}", t0);
        store.inboxInsert(older, "a", t0.plusSeconds(60));
        store.inboxInsert(InboxRow.incoming("msg:2", "e2", "im.message.receive_v1", "t1", "{}", t0.plusSeconds(5)), "a", t0.plusSeconds(60));
        long done = store.inboxInsert(InboxRow.incoming("msg:0", "e0", "im.message.receive_v1", "t1", "{}", t0.minusSeconds(9)),
                "a", t0.plusSeconds(60)).orElseThrow().id();
        assertTrue(store.inboxFinish(done, "a", "done", null, t0));
        store.outboxAdd(List.of(OutboxMessage.send("oc_1", card("b"), "pb-2", "send 2", t0.plusSeconds(7))));
        assertEquals(new Backlog(2, t0, 1, t0.plusSeconds(7)), store.backlog());
    }

    @Test
    void transport_reports_are_one_per_process_and_read_back_as_written() {
        store.saveTransportReport(new TransportReport("bot-a", "websocket", true, t0, t0.plusSeconds(3), Map.of(), null, t0.plusSeconds(10)));
        store.saveTransportReport(new TransportReport("bot-a", "websocket", false, t0.plusSeconds(20), t0.plusSeconds(3), Map.of(),
                "403 forbidden", t0.plusSeconds(30)));
        store.saveTransportReport(new TransportReport("bot-b", "webhook", null, null, null, Map.of("signature", 12, "token", 1), null,
                t0.plusSeconds(25)));
        List<TransportReport> all = store.transportReports(t0);
        assertEquals(List.of("bot-a", "bot-b"), all.stream().map(TransportReport::owner).toList(), "newest first, one row each");
        assertEquals(new TransportReport("bot-a", "websocket", false, t0.plusSeconds(20), t0.plusSeconds(3), Map.of(), "403 forbidden",
                t0.plusSeconds(30)), all.get(0));
        assertEquals(new TransportReport("bot-b", "webhook", null, null, null, Map.of("signature", 12, "token", 1), null,
                t0.plusSeconds(25)), all.get(1));
        assertEquals(List.of("bot-a"), store.transportReports(t0.plusSeconds(26)).stream().map(TransportReport::owner).toList());
        store.saveTransportReport(new TransportReport("bot-c", "webhook", null, null, null, Map.of(), null, t0.plusSeconds(31).plus(Duration.ofDays(1))));
        assertEquals(List.of("bot-c"), store.transportReports(t0).stream().map(TransportReport::owner).toList(), "a day without a report: gone");
    }

    @Test
    void a_prepared_card_is_kept_for_its_button_and_not_replaced() {
        assertTrue(store.preparedCard("doctor-1").isEmpty());
        store.savePreparedCard("doctor-1", card("tested"), t0);
        store.savePreparedCard("doctor-1", card("other"), t0);
        assertEquals(Optional.of(card("tested")), store.preparedCard("doctor-1"));
        store.savePreparedCard("doctor-2", card("later"), t0.plus(Duration.ofDays(8)));
        assertTrue(store.preparedCard("doctor-1").isEmpty(), "kept a week");
    }

    @Test
    void a_released_lease_can_be_taken_at_once_but_only_its_owner_releases_it() {
        assertTrue(store.tryLease("apply:t1", "a", t0, Duration.ofMinutes(1)));
        store.releaseLease("apply:t1", "b");
        assertFalse(store.tryLease("apply:t1", "b", t0, Duration.ofMinutes(1)), "b cannot release a's lease");
        store.releaseLease("apply:t1", "a");
        assertTrue(store.tryLease("apply:t1", "b", t0, Duration.ofMinutes(1)));
    }

    @Test
    void apply_requests_are_kept_until_resolved() {
        ApplyRequest a = store.saveApplyRequest(ApplyRequest.pending("t1", "oc_1", "om_1", "ou_a", "1.0.0",
                List.of("im:message", "docx:document"), t0));
        ApplyRequest b = store.saveApplyRequest(ApplyRequest.pending("t1", "oc_2", "om_2", "ou_b", "1.0.0",
                List.of("im:message"), t0.plusSeconds(1)));
        store.saveApplyRequest(ApplyRequest.pending("t2", "oc_3", "om_3", "ou_a", "1.0.0", List.of(), t0.plusSeconds(2)));
        assertTrue(a.id() > 0);
        assertTrue(b.id() > a.id());
        assertEquals(List.of("im:message", "docx:document"), a.scopes());
        assertEquals(ApplyRequest.PENDING, a.status());
        assertNull(a.grantedAt());
        assertEquals(List.of(a, b), store.openApplyRequests("t1"));

        List<ApplyRequest> byA = store.applyRequestsBy("ou_a");
        assertEquals(2, byA.size());
        assertEquals("t2", byA.get(0).tenantKey(), "newest first");
        assertEquals(List.of(), byA.get(0).scopes());

        assertTrue(store.resolveApplyRequest(a.id(), ApplyRequest.GRANTED, t0.plusSeconds(60)));
        assertFalse(store.resolveApplyRequest(a.id(), ApplyRequest.EXPIRED, t0.plusSeconds(61)), "no longer pending");
        assertEquals(List.of(b), store.openApplyRequests("t1"));
        ApplyRequest granted = store.applyRequestsBy("ou_a").get(1);
        assertEquals(ApplyRequest.GRANTED, granted.status());
        assertEquals(t0.plusSeconds(60), granted.grantedAt());
        assertTrue(store.resolveApplyRequest(b.id(), ApplyRequest.EXPIRED, t0.plusSeconds(62)));
        assertNull(store.applyRequestsBy("ou_b").get(0).grantedAt());
    }

    @Test
    void a_request_keeps_its_reason_exactly_and_one_without_a_reason_has_an_empty_one() {
        String reason = "给「日历同步」用 \"quoted\" 'single' \\ ${var} <at id=all></at> 😀" + "x".repeat(150);
        ApplyRequest with = store.saveApplyRequest(ApplyRequest.pending("t1", "oc_1", "om_1", "ou_a", "1.0.0",
                List.of("im:message"), reason, t0));
        ApplyRequest without = store.saveApplyRequest(ApplyRequest.pending("t1", "oc_1", "om_2", "ou_a", "1.0.0",
                List.of("im:message"), t0.plusSeconds(1)));
        assertEquals(reason, with.reason());
        assertEquals("", without.reason());
        assertEquals(List.of(reason, ""), store.openApplyRequests("t1").stream().map(ApplyRequest::reason).toList());
        assertEquals(List.of("", reason), store.applyRequestsBy("ou_a").stream().map(ApplyRequest::reason).toList());
        assertTrue(store.resolveApplyRequest(with.id(), ApplyRequest.GRANTED, t0.plusSeconds(60)));
        assertEquals(reason, store.applyRequestsOf("t1").get(1).reason(), "resolving keeps it");
    }

    @Test
    void approval_subscriptions_are_per_chat_and_keep_the_first_registration() {
        String code = "7C468A54-8745-2245-9675-08B7C63E7A85";
        assertTrue(store.addApprovalSubscription(new ApprovalSubscription(code, "oc_1", "t1", "ou_a", t0)));
        assertFalse(store.addApprovalSubscription(new ApprovalSubscription(code, "oc_1", "t1", "ou_b", t0.plusSeconds(5))),
                "the same chat again");
        assertTrue(store.addApprovalSubscription(new ApprovalSubscription(code, "oc_2", "t1", "ou_b", t0.plusSeconds(1))));
        assertTrue(store.addApprovalSubscription(new ApprovalSubscription("OTHER-CODE-1", "oc_1", "t1", "ou_a", t0.plusSeconds(2))));

        ApprovalSubscription first = store.approvalSubscription(code, "oc_1").orElseThrow();
        assertEquals(new ApprovalSubscription(code, "oc_1", "t1", "ou_a", t0), first);
        assertEquals(List.of("oc_1", "oc_2"), store.approvalSubscribers(code).stream().map(ApprovalSubscription::chatId).toList());
        assertEquals(List.of(code, "OTHER-CODE-1"),
                store.approvalSubscriptionsOf("oc_1").stream().map(ApprovalSubscription::approvalCode).toList());
        assertTrue(store.approvalSubscription(code, "oc_3").isEmpty());

        assertTrue(store.removeApprovalSubscription(code, "oc_1"));
        assertFalse(store.removeApprovalSubscription(code, "oc_1"), "already removed");
        assertEquals(List.of("oc_2"), store.approvalSubscribers(code).stream().map(ApprovalSubscription::chatId).toList());
        assertTrue(store.approvalSubscribers("7c468a54-8745-2245-9675-08b7c63e7a85").isEmpty(), "codes are case-sensitive");
    }

    @Test
    void an_approval_card_is_inserted_once_then_updated_only_from_the_version_read() {
        List<ApprovalStatusChange> h1 = List.of(new ApprovalStatusChange("PENDING", t0, "u1"));
        ApprovalCard fresh = ApprovalCard.fresh("oc_1", "INST-1", "CODE-1", "t1", t0);
        assertTrue(store.approvalCard("oc_1", "INST-1").isEmpty());
        assertTrue(store.saveApprovalCard(fresh.with(h1, t0)));
        assertFalse(store.saveApprovalCard(fresh.with(h1, t0)), "a second insert loses");

        ApprovalCard read = store.approvalCard("oc_1", "INST-1").orElseThrow();
        assertEquals(1, read.version());
        assertEquals(h1, read.history());
        assertEquals("CODE-1", read.approvalCode());
        assertEquals("t1", read.tenantKey());

        List<ApprovalStatusChange> h2 = List.of(new ApprovalStatusChange("PENDING", t0, "u1"),
                new ApprovalStatusChange("APPROVED", t0.plusMillis(1500), "u2"));
        assertTrue(store.saveApprovalCard(read.with(h2, t0.plusSeconds(2))));
        assertFalse(store.saveApprovalCard(read.with(h1, t0.plusSeconds(3))), "written from a stale version");

        ApprovalCard now = store.approvalCard("oc_1", "INST-1").orElseThrow();
        assertEquals(2, now.version());
        assertEquals(h2, now.history(), "history keeps its order, statuses, millisecond times and event ids");
        assertEquals(t0.plusSeconds(2), now.updatedAt());
        assertTrue(store.approvalCard("oc_2", "INST-1").isEmpty(), "cards are per chat");
    }

    @Test
    void a_card_slot_remembers_the_message_it_was_sent_as() {
        assertTrue(store.cardSlot("approval:oc_1:I").isEmpty());
        store.saveCardSlot("approval:oc_1:I", "om_1", t0);
        assertEquals(Optional.of("om_1"), store.cardSlot("approval:oc_1:I"));
        store.saveCardSlot("approval:oc_1:I", "om_2", t0);
        assertEquals(Optional.of("om_2"), store.cardSlot("approval:oc_1:I"));
        store.saveCardSlot("approval:oc_1:I", null, t0);
        assertTrue(store.cardSlot("approval:oc_1:I").isEmpty());
    }

    // --- the outbox

    private static Card card(String text) {
        return new Card("note", "{\"schema\":\"2.0\",\"body\":{\"elements\":[{\"tag\":\"markdown\",\"content\":\"" + text + "\"}]}}");
    }

    @Test
    void an_owed_card_is_kept_until_delivered_and_a_send_is_owed_once_per_uuid() {
        store.outboxAdd(List.of(OutboxMessage.reply("om_q", "oc_1", card("a"), "pb-1", "reply 1", t0),
                OutboxMessage.send("oc_1", card("b"), "pb-2", "send 2", t0)));
        store.outboxAdd(List.of(OutboxMessage.reply("om_q", "oc_1", card("a again"), "pb-1", "reply 1 again", t0)));
        assertEquals(2, store.outboxDepth(), "the second row with uuid pb-1 is the same message");

        List<OutboxMessage> got = store.outboxClaim("a", t0, Duration.ofMinutes(1), 10);
        assertEquals(List.of("reply 1", "send 2"), got.stream().map(OutboxMessage::what).toList());
        OutboxMessage reply = got.get(0);
        assertEquals(OutboxMessage.Kind.REPLY, reply.kind());
        assertEquals("om_q", reply.target());
        assertEquals("oc_1", reply.chatId());
        assertEquals("pb-1", reply.uuid());
        assertEquals(1, reply.attempts());
        assertTrue(new Card(reply.cardName(), reply.cardJson()).toJson().contains("\"a\""));
        assertTrue(store.outboxClaim("b", t0, Duration.ofMinutes(1), 10).isEmpty(), "leased to a");

        assertTrue(store.outboxFinish(reply.id(), "a", "sent", "om_r", null, t0));
        assertFalse(store.outboxFinish(got.get(1).id(), "b", "sent", "om_s", null, t0), "not b's");
        store.outboxRetryAt(got.get(1).id(), "a", t0.plusSeconds(30), "code 5000");
        assertEquals(1, store.outboxDepth());
        assertTrue(store.outboxClaim("b", t0.plusSeconds(29), Duration.ofMinutes(1), 10).isEmpty(), "not due yet");
        OutboxMessage again = store.outboxClaim("b", t0.plusSeconds(30), Duration.ofMinutes(1), 10).get(0);
        assertEquals(2, again.attempts());
        assertEquals(1, store.outboxClaim("c", t0.plusSeconds(91), Duration.ofMinutes(1), 10).size(), "b died: its lease ran out");

        assertEquals(0, store.outboxPurge(t0), "nothing finished before t0");
        assertEquals(1, store.outboxPurge(t0.plusSeconds(1)), "the sent reply");
    }

    @Test
    void a_newer_card_for_the_same_message_supersedes_an_older_one() {
        store.outboxAdd(List.of(OutboxMessage.update("om_card", card("fallback"), "fallback", t0.plusSeconds(60))));
        store.outboxAdd(List.of(OutboxMessage.update("om_card", card("outcome"), "outcome", t0),
                OutboxMessage.update("om_other", card("x"), "other", t0)));
        List<OutboxMessage> due = store.outboxClaim("a", t0.plusSeconds(60), Duration.ofMinutes(1), 10);
        OutboxMessage fallback = due.stream().filter(m -> m.what().equals("fallback")).findFirst().orElseThrow();
        OutboxMessage outcome = due.stream().filter(m -> m.what().equals("outcome")).findFirst().orElseThrow();
        OutboxMessage other = due.stream().filter(m -> m.what().equals("other")).findFirst().orElseThrow();
        assertTrue(store.outboxSuperseded(fallback));
        assertFalse(store.outboxSuperseded(outcome));
        assertFalse(store.outboxSuperseded(other));
    }

    @Test
    void work_done_atomically_is_kept_whole_or_not_at_all() {
        ApplyRequest r = store.saveApplyRequest(ApplyRequest.pending("t1", "oc_1", "om_1", "ou_1", "1.0.0", List.of("a:b"), t0));
        assertThrows(IllegalStateException.class, () -> store.atomically(tx -> {
            tx.resolveApplyRequest(r.id(), ApplyRequest.GRANTED, t0);
            tx.outboxAdd(List.of(OutboxMessage.send("oc_1", card("granted"), "pb-g", "granted", t0)));
            throw new IllegalStateException("the notice could not be built");
        }));
        assertEquals(ApplyRequest.PENDING, store.openApplyRequests("t1").get(0).status(), "rolled back");
        assertEquals(0, store.outboxDepth());
        boolean moved = store.atomically(tx -> {
            if (!tx.resolveApplyRequest(r.id(), ApplyRequest.GRANTED, t0)) return false;
            tx.outboxAdd(List.of(OutboxMessage.send("oc_1", card("granted"), "pb-g", "granted", t0)));
            return true;
        });
        assertTrue(moved);
        assertTrue(store.openApplyRequests("t1").isEmpty());
        assertEquals(1, store.outboxDepth());
    }

    @Test
    void a_lease_is_held_by_one_owner_until_it_runs_out() {
        Duration ttl = Duration.ofMinutes(2);
        assertTrue(store.tryLease("watch:t1", "a", t0, ttl));
        assertFalse(store.tryLease("watch:t1", "b", t0.plusSeconds(60), ttl), "held by a");
        assertTrue(store.tryLease("watch:t1", "a", t0.plusSeconds(60), ttl), "the holder extends it");
        assertFalse(store.tryLease("watch:t1", "b", t0.plusSeconds(179), ttl), "extended to 3 min");
        assertTrue(store.tryLease("watch:t2", "b", t0.plusSeconds(179), ttl), "leases are per name");
        assertTrue(store.tryLease("watch:t1", "b", t0.plusSeconds(181), ttl), "a stopped renewing: b takes over");
        assertFalse(store.tryLease("watch:t1", "a", t0.plusSeconds(182), ttl));
    }

    @Test
    void the_grant_snapshot_is_replaced_and_its_tenant_watched() {
        assertTrue(store.grantSnapshot("t1").isEmpty());
        assertTrue(store.watchedTenants().isEmpty());
        store.saveGrantSnapshot("t1", java.util.Map.of("im:message", true, "docx:document", false), t0);
        assertEquals(java.util.Map.of("im:message", true, "docx:document", false), store.grantSnapshot("t1"));
        store.saveGrantSnapshot("t1", java.util.Map.of("im:message", false), t0.plusSeconds(1));
        assertEquals(java.util.Map.of("im:message", false), store.grantSnapshot("t1"));
        store.saveApplyRequest(ApplyRequest.pending("t2", "oc_1", "om_1", "ou_a", "1.0.0", List.of("im:message"), t0));
        assertEquals(Set.of("t1", "t2"), Set.copyOf(store.watchedTenants()));
        assertEquals(1, store.applyRequestsOf("t2").size());
    }

    @Test
    void replicas_store_one_event_delivered_to_both_at_once_once() throws Exception {
        List<Store> two = List.of(store, another());
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        // the same event to both, and the same message under new event ids
        race(8, 64, two, (i, s) -> s.inboxInsert(row("msg:same", i % 4 == 0 ? "e-same" : "e-" + i), "r" + (i % 2), t0)
                .ifPresent(r -> ids.add(r.id())));
        assertEquals(1, ids.size());
        assertEquals(1, store.inboxDepth());
    }

    @Test
    void replicas_storing_batches_that_share_keys_in_opposite_orders_store_each_event_once() throws Exception {
        List<Store> two = List.of(store, another());
        for (int round = 0; round < 20; round++) {
            List<InboxRow> forward = new ArrayList<>();
            List<InboxRow> backward = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                String key = "msg:" + round + "-" + k;
                forward.add(row(key, "e" + round + "-" + k));
                // the same event, or the same message under a new event id, arriving at the other replica
                backward.add(0, row(key, k % 2 == 0 ? "e" + round + "-" + k : "retry" + round + "-" + k));
            }
            List<List<Optional<InboxRow>>> got = java.util.Collections.synchronizedList(new ArrayList<>(List.of(List.of(), List.of())));
            race(2, 2, two, (i, s) -> got.set(i, s.inboxInsertAll(i == 0 ? forward : backward, "r" + i, t0)));
            for (int k = 0; k < 8; k++) {
                Optional<InboxRow> a = got.get(0).get(k);
                Optional<InboxRow> b = got.get(1).get(7 - k);
                assertTrue(a.isPresent() != b.isPresent(), "msg " + round + "-" + k + " stored by exactly one replica");
                assertEquals("msg:" + round + "-" + k, a.or(() -> b).orElseThrow().dedupKey(), "answers in the order asked");
            }
        }
        assertEquals(160, store.inboxDepth());
    }

    @Test
    void replicas_claiming_at_once_never_get_the_same_row() throws Exception {
        Store other = another();
        for (int i = 0; i < 120; i++) {
            long id = store.inboxInsert(row("msg:" + i, "e" + i), "dead", t0).orElseThrow().id();
            store.inboxRelease(id, "dead");
        }
        List<Long> got = java.util.Collections.synchronizedList(new ArrayList<>());
        race(4, 4, List.of(store, other), (w, s) -> {
            List<InboxRow> batch;
            while (!(batch = s.inboxClaim("w" + w, t0, Duration.ofSeconds(30), 5)).isEmpty()) {
                batch.forEach(r -> got.add(r.id()));
            }
        });
        assertEquals(120, got.size());
        assertEquals(120, Set.copyOf(got).size(), "no row claimed twice");
    }

    @Test
    void replicas_take_over_the_unfinished_row_of_a_dead_one_after_its_lease() throws Exception {
        Store other = another();
        long id = store.inboxInsert(row("msg:1", "e1"), "dead", t0.plusSeconds(60)).orElseThrow().id();
        assertTrue(other.inboxClaim("alive", t0.plusSeconds(59), Duration.ofSeconds(60), 10).isEmpty(), "lease still running");
        List<InboxRow> got = other.inboxClaim("alive", t0.plusSeconds(61), Duration.ofSeconds(60), 10);
        assertEquals(List.of(id), got.stream().map(InboxRow::id).toList());
        assertEquals(2, got.get(0).attempts());
        assertFalse(store.inboxFinish(id, "dead", InboxRow.DONE, null, t0.plusSeconds(62)), "the late original loses");
        assertTrue(other.inboxFinish(id, "alive", InboxRow.DONE, null, t0.plusSeconds(62)));
        assertEquals(InboxRow.DONE, store.inboxFind("msg:1").orElseThrow().status());
    }

    @Test
    void replicas_racing_on_clicks_leases_and_owed_cards_have_one_winner_each_and_an_exact_ledger() throws Exception {
        List<Store> two = List.of(store, another());
        Set<Integer> clicks = ConcurrentHashMap.newKeySet();
        Set<Integer> leases = ConcurrentHashMap.newKeySet();
        Set<Long> sent = ConcurrentHashMap.newKeySet();
        List<OutboxMessage> owed = new ArrayList<>();
        for (int i = 0; i < 30; i++) owed.add(OutboxMessage.send("oc_" + i, card("n" + i), "pb-" + i, "send " + i, t0));
        store.outboxAdd(owed);
        java.util.concurrent.atomic.AtomicInteger claimed = new java.util.concurrent.atomic.AtomicInteger();
        race(8, 60, two, (i, s) -> {
            if (s.claimAction("om_x|ou_1|{action=apply}", t0, t0.plusSeconds(30)).fresh()) clicks.add(i);
            if (s.tryLease("watch:t1", "r" + i, t0, Duration.ofMinutes(2))) leases.add(i);
            for (OutboxMessage m : s.outboxClaim("r" + i, t0, Duration.ofMinutes(1), 2)) {
                claimed.incrementAndGet();
                if (s.outboxFinish(m.id(), "r" + i, "sent", "om_" + m.id(), null, t0)) sent.add(m.id());
            }
            s.recordApplied("t1", "1.0.0", "ou_" + i, t0);
        });
        assertEquals(1, clicks.size());
        assertEquals(1, leases.size());
        assertEquals(30, claimed.get(), "each owed card claimed by one replica only");
        assertEquals(30, sent.size());
        assertEquals(60, store.quota("t1", "1.0.0").used());
        assertEquals(60, two.get(1).quota("t1", "1.0.0").used());
    }
}
