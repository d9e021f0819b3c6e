package com.permissionbot.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import com.permissionbot.cards.Card;
import com.permissionbot.domain.Quota;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The {@link Store} over JDBC: SQLite by default, PostgreSQL for replicas; the schema is migrated on open. */
public final class JdbcStore implements Store {
    private static final String ROW = "id, dedup_key, event_id, event_type, tenant_key, payload, status, attempts, received_at";
    private static final String QUOTA = "tenant_key, app_version, used, exhausted, last_at, last_by";
    private static final String REQUEST = "id, tenant_key, chat_id, message_id, requester, app_version, scopes, status, created_at,"
            + " granted_at, reason";
    private static final String SUBSCRIPTION = "approval_code, chat_id, tenant_key, subscribed_by, subscribed_at";
    private static final String APPROVAL_CARD = "chat_id, instance_code, approval_code, tenant_key, history, version, updated_at";
    private static final String OUTBOX = "id, kind, topic, target, chat_id, tenant_key, card_name, card_json, uuid, what,"
            + " attempts, due_at, expires_at, created_at";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HikariDataSource ds;
    private final boolean postgres;
    private final Checkpointer checkpointer;
    /** The connection of an {@link #atomically} view, whose transaction the caller owns; null for the pooled store. */
    private final Connection bound;

    private JdbcStore(HikariDataSource ds, boolean postgres, Checkpointer checkpointer, Connection bound) {
        this.ds = ds;
        this.postgres = postgres;
        this.checkpointer = checkpointer;
        this.bound = bound;
    }

    /** Opens the database named by a {@code DATABASE_URL} value and brings its schema up to date. */
    public static JdbcStore open(String databaseUrl) {
        Database.Target t = Database.parse(databaseUrl);
        HikariDataSource ds = Database.open(t);
        try (Connection c = ds.getConnection()) {
            Migrations.apply(c, t.postgres());
        } catch (SQLException e) {
            ds.close();
            throw new StoreException("cannot migrate " + t, e);
        }
        return new JdbcStore(ds, t.postgres(), t.postgres() ? null : Checkpointer.start(t.jdbcUrl()), null);
    }

    @Override
    public <T> T atomically(Function<Store, T> work) {
        if (bound != null) return work.apply(this);
        return inTransaction("atomically", c -> work.apply(new JdbcStore(ds, postgres, null, c)));
    }

    @Override
    public Optional<InboxRow> inboxInsert(InboxRow r, String owner, Instant leaseUntil) {
        return inboxInsertAll(List.of(r), owner, leaseUntil).get(0);
    }

    @Override
    public List<Optional<InboxRow>> inboxInsertAll(List<InboxRow> rows, String owner, Instant leaseUntil) {
        String sql = "INSERT INTO inbox (dedup_key, event_id, event_type, tenant_key, payload, status, owner, lease_until,"
                + " attempts, received_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id";
        return inTransaction("inbox insert", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                // in key order: two replicas storing batches that share keys (the same event delivered to both) then
                // wait on each other's keys in one order, never in a cycle (PostgreSQL would abort one as a deadlock)
                Integer[] order = new Integer[rows.size()];
                for (int i = 0; i < order.length; i++) order[i] = i;
                Arrays.sort(order, Comparator.comparing((Integer i) -> rows.get(i).dedupKey())
                        .thenComparing(i -> String.valueOf(rows.get(i).eventId())));
                List<Optional<InboxRow>> out = new ArrayList<>(Collections.nCopies(rows.size(), Optional.<InboxRow>empty()));
                for (int i : order) {
                    InboxRow r = rows.get(i);
                    bind(ps, new Object[]{r.dedupKey(), r.eventId(), r.eventType(), r.tenantKey(), r.payload(), r.status(),
                            owner, leaseUntil.toEpochMilli(), r.attempts(), r.receivedAt().toEpochMilli()});
                    try (ResultSet rs = ps.executeQuery()) {
                        // only the id comes back: reading the payload back would cost more than the insert
                        if (rs.next()) out.set(i, Optional.of(new InboxRow(rs.getLong(1), r.dedupKey(), r.eventId(), r.eventType(),
                                r.tenantKey(), r.payload(), r.status(), r.attempts(), Instant.ofEpochMilli(r.receivedAt().toEpochMilli()))));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public List<InboxRow> inboxClaim(String owner, Instant now, Duration lease, int limit) {
        String open = "(status = 'pending' OR (status = 'working' AND lease_until < ?))";
        String pick = "SELECT id FROM inbox WHERE " + open + " ORDER BY id LIMIT ?" + (postgres ? " FOR UPDATE SKIP LOCKED" : "");
        String sql = "UPDATE inbox SET status = 'working', owner = ?, lease_until = ?, attempts = attempts + 1"
                + " WHERE id IN (" + pick + ") AND " + open + " RETURNING " + ROW;
        long t = now.toEpochMilli();
        return query(sql, JdbcStore::row, owner, now.plus(lease).toEpochMilli(), t, limit, t)
                .stream().sorted((a, b) -> Long.compare(a.id(), b.id())).toList();
    }

    @Override
    public void inboxRenew(String owner, Collection<Long> ids, Instant until) {
        for (Long id : ids) update("UPDATE inbox SET lease_until = ? WHERE id = ? AND owner = ? AND status = 'working'",
                until.toEpochMilli(), id, owner);
    }

    @Override
    public boolean inboxFinish(long id, String owner, String status, String error, Instant now) {
        return inboxFinishAll(List.of(new InboxFinish(id, owner, status, error, now))).get(0);
    }

    @Override
    public List<Boolean> inboxFinishAll(List<InboxFinish> rows) {
        String sql = "UPDATE inbox SET status = ?, error = ?, finished_at = ?, lease_until = NULL"
                + " WHERE id = ? AND owner = ? AND status = 'working'";
        return inTransaction("inbox finish", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                // in id order, so two replicas' batches never wait on each other in a cycle
                List<InboxFinish> sorted = rows.stream().sorted(Comparator.comparingLong(InboxFinish::id)).toList();
                for (InboxFinish f : sorted) {
                    bind(ps, new Object[]{f.status(), f.error(), f.at().toEpochMilli(), f.id(), f.owner()});
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                Map<InboxFinish, Boolean> done = new IdentityHashMap<>();
                for (int i = 0; i < sorted.size(); i++) done.put(sorted.get(i), counts[i] != 0);
                return rows.stream().map(done::get).toList();
            }
        });
    }

    @Override
    public void inboxRelease(long id, String owner) {
        update("UPDATE inbox SET status = 'pending', owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND status = 'working'",
                id, owner);
    }

    @Override
    public int inboxPurge(Instant before) {
        return update("DELETE FROM inbox WHERE status IN ('done', 'failed') AND received_at < ?", before.toEpochMilli());
    }

    @Override
    public long inboxDepth() {
        return query("SELECT COUNT(*) FROM inbox WHERE status IN ('pending', 'working')", rs -> rs.getLong(1)).get(0);
    }

    @Override
    public Optional<InboxRow> inboxFind(String dedupKey) {
        return query("SELECT " + ROW + " FROM inbox WHERE dedup_key = ?", JdbcStore::row, dedupKey).stream().findFirst();
    }

    @Override
    public ActionClaim claimAction(String key, Instant now, Instant deadline) {
        if (update("INSERT INTO card_actions (action_key, created_at, deadline) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                key, now.toEpochMilli(), deadline.toEpochMilli()) == 1) {
            return new ActionClaim(true, false, null, deadline);
        }
        // the earlier claim's handler died before it answered (nothing to give instead): this click takes it over
        if (update("UPDATE card_actions SET deadline = ? WHERE action_key = ? AND finished = 0 AND response IS NULL"
                + " AND COALESCE(deadline, 0) < ?", deadline.toEpochMilli(), key, now.toEpochMilli()) == 1) {
            return new ActionClaim(true, false, null, deadline);
        }
        return query("SELECT finished, response, deadline FROM card_actions WHERE action_key = ?",
                rs -> new ActionClaim(false, rs.getInt(1) == 1, readAnswer(rs.getString(2)), Instant.ofEpochMilli(rs.getLong(3))), key)
                .stream().findFirst()
                .orElseGet(() -> claimAction(key, now, deadline));
    }

    @Override
    public void holdAction(String key, ClickAnswer fallback, Instant deadline) {
        update("UPDATE card_actions SET response = ?, deadline = ? WHERE action_key = ? AND finished = 0",
                writeAnswer(fallback), deadline.toEpochMilli(), key);
    }

    @Override
    public void finishAction(String key, ClickAnswer answer, Instant now) {
        update("UPDATE card_actions SET finished = 1, response = ?, finished_at = ? WHERE action_key = ?",
                writeAnswer(answer), now.toEpochMilli(), key);
    }

    @Override
    public void releaseAction(String key) {
        update("DELETE FROM card_actions WHERE action_key = ?", key);
    }

    @Override
    public int purgeActions(Instant before) {
        return update("DELETE FROM card_actions WHERE created_at < ?", before.toEpochMilli());
    }

    @Override
    public Quota quota(String tenantKey, String appVersion) {
        return query("SELECT " + QUOTA + " FROM apply_quota WHERE tenant_key = ? AND app_version = ?", JdbcStore::quota,
                tenantKey, appVersion).stream().findFirst()
                .orElseGet(() -> Quota.none(tenantKey, appVersion));
    }

    @Override
    public Quota recordApplied(String tenantKey, String appVersion, String requesterOpenId, Instant at) {
        String sql = "INSERT INTO apply_quota (tenant_key, app_version, used, exhausted, last_at, last_by) VALUES (?, ?, 1, 0, ?, ?)"
                + " ON CONFLICT (tenant_key, app_version) DO UPDATE SET used = apply_quota.used + 1,"
                + " last_at = excluded.last_at, last_by = excluded.last_by RETURNING " + QUOTA;
        return query(sql, JdbcStore::quota, tenantKey, appVersion, at.toEpochMilli(), requesterOpenId).get(0);
    }

    @Override
    public Quota markExhausted(String tenantKey, String appVersion, Instant at) {
        String sql = "INSERT INTO apply_quota (tenant_key, app_version, used, exhausted, exhausted_at) VALUES (?, ?, 0, 1, ?)"
                + " ON CONFLICT (tenant_key, app_version) DO UPDATE SET exhausted = 1,"
                + " exhausted_at = COALESCE(apply_quota.exhausted_at, excluded.exhausted_at) RETURNING " + QUOTA;
        return query(sql, JdbcStore::quota, tenantKey, appVersion, at.toEpochMilli()).get(0);
    }

    @Override
    public void noteApplyStart(String tenantKey, Instant at, String by) {
        update("INSERT INTO apply_guard (tenant_key, started_at, started_by) VALUES (?, ?, ?) ON CONFLICT (tenant_key)"
                + " DO UPDATE SET started_at = excluded.started_at, started_by = excluded.started_by", tenantKey, at.toEpochMilli(), by);
    }

    @Override
    public Optional<ApplyStart> lastApplyStart(String tenantKey) {
        return query("SELECT started_at, started_by FROM apply_guard WHERE tenant_key = ?",
                rs -> new ApplyStart(Instant.ofEpochMilli(rs.getLong(1)), rs.getString(2)), tenantKey).stream().findFirst();
    }

    @Override
    public ApplyRequest saveApplyRequest(ApplyRequest r) {
        String sql = "INSERT INTO apply_requests (tenant_key, chat_id, message_id, requester, app_version, scopes, status,"
                + " created_at, granted_at, reason) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING " + REQUEST;
        return query(sql, JdbcStore::request, r.tenantKey(), r.chatId(), r.messageId(), r.requesterOpenId(), r.appVersion(),
                String.join(",", r.scopes()), r.status(), r.createdAt().toEpochMilli(),
                r.grantedAt() == null ? null : r.grantedAt().toEpochMilli(), r.reason()).get(0);
    }

    @Override
    public List<ApplyRequest> openApplyRequests(String tenantKey) {
        return query("SELECT " + REQUEST + " FROM apply_requests WHERE tenant_key = ? AND status IN (?, ?) ORDER BY id",
                JdbcStore::request, tenantKey, ApplyRequest.PENDING, ApplyRequest.PARTIAL);
    }

    @Override
    public List<ApplyRequest> applyRequestsOf(String tenantKey) {
        return query("SELECT " + REQUEST + " FROM apply_requests WHERE tenant_key = ? ORDER BY id DESC LIMIT 500",
                JdbcStore::request, tenantKey);
    }

    @Override
    public List<String> watchedTenants() {
        return query("SELECT tenant_key FROM apply_requests WHERE status IN (?, ?) UNION SELECT tenant_key FROM grant_snapshot",
                rs -> rs.getString(1), ApplyRequest.PENDING, ApplyRequest.PARTIAL);
    }

    @Override
    public boolean tryLease(String name, String owner, Instant now, Duration ttl) {
        return update("INSERT INTO leases (name, owner, until_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                        + " SET owner = excluded.owner, until_at = excluded.until_at WHERE leases.until_at < ? OR leases.owner = ?",
                name, owner, now.plus(ttl).toEpochMilli(), now.toEpochMilli(), owner) == 1;
    }

    @Override
    public Optional<Instant> lastWatchCheck(String tenantKey) {
        return query("SELECT checked_at FROM watch_checks WHERE tenant_key = ?", rs -> Instant.ofEpochMilli(rs.getLong(1)), tenantKey)
                .stream().findFirst();
    }

    @Override
    public void noteWatchCheck(String tenantKey, Instant at) {
        update("INSERT INTO watch_checks (tenant_key, checked_at) VALUES (?, ?) ON CONFLICT (tenant_key)"
                + " DO UPDATE SET checked_at = excluded.checked_at", tenantKey, at.toEpochMilli());
    }

    @Override
    public void releaseLease(String name, String owner) {
        update("DELETE FROM leases WHERE name = ? AND owner = ?", name, owner);
    }

    @Override
    public Map<String, Boolean> grantSnapshot(String tenantKey) {
        Map<String, Boolean> out = new java.util.TreeMap<>();
        for (var e : query("SELECT scope, granted FROM grant_snapshot WHERE tenant_key = ?",
                rs -> Map.entry(rs.getString(1), rs.getInt(2) == 1), tenantKey)) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    @Override
    public void saveGrantSnapshot(String tenantKey, Map<String, Boolean> grants, Instant at) {
        inTransaction("save grant snapshot", c -> {
            // an upsert, not a plain insert after the delete: on PostgreSQL a second writer (a replica whose lease ran
            // out mid-check) does not see rows the first one inserted after its delete began, and would hit the key
            try (PreparedStatement del = c.prepareStatement("DELETE FROM grant_snapshot WHERE tenant_key = ?");
                 PreparedStatement ins = c.prepareStatement(
                         "INSERT INTO grant_snapshot (tenant_key, scope, granted, seen_at) VALUES (?,?,?,?)"
                                 + " ON CONFLICT (tenant_key, scope) DO UPDATE SET granted = excluded.granted,"
                                 + " seen_at = excluded.seen_at")) {
                del.setString(1, tenantKey);
                del.executeUpdate();
                for (var e : grants.entrySet()) {
                    bind(ins, new Object[]{tenantKey, e.getKey(), e.getValue() ? 1 : 0, at.toEpochMilli()});
                    ins.addBatch();
                }
                ins.executeBatch();
                return null;
            }
        });
    }

    @Override
    public List<ApplyRequest> applyRequestsBy(String requesterOpenId) {
        return query("SELECT " + REQUEST + " FROM apply_requests WHERE requester = ? ORDER BY created_at DESC, id DESC",
                JdbcStore::request, requesterOpenId);
    }

    @Override
    public boolean resolveApplyRequest(long id, String status, Instant at) {
        Long grantedAt = ApplyRequest.GRANTED.equals(status) || ApplyRequest.PARTIAL.equals(status) ? at.toEpochMilli() : null;
        return update("UPDATE apply_requests SET status = ?, granted_at = ? WHERE id = ? AND status IN (?, ?)",
                status, grantedAt, id, ApplyRequest.PENDING, ApplyRequest.PARTIAL) == 1;
    }

    @Override
    public boolean addApprovalSubscription(ApprovalSubscription s) {
        return update("INSERT INTO approval_subscriptions (approval_code, chat_id, tenant_key, subscribed_by, subscribed_at)"
                        + " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                s.approvalCode(), s.chatId(), s.tenantKey(), s.subscribedBy(), s.subscribedAt().toEpochMilli()) == 1;
    }

    @Override
    public boolean removeApprovalSubscription(String approvalCode, String chatId) {
        return update("DELETE FROM approval_subscriptions WHERE approval_code = ? AND chat_id = ?", approvalCode, chatId) == 1;
    }

    @Override
    public Optional<ApprovalSubscription> approvalSubscription(String approvalCode, String chatId) {
        return query("SELECT " + SUBSCRIPTION + " FROM approval_subscriptions WHERE approval_code = ? AND chat_id = ?",
                JdbcStore::subscription, approvalCode, chatId).stream().findFirst();
    }

    @Override
    public List<ApprovalSubscription> approvalSubscribers(String approvalCode) {
        return query("SELECT " + SUBSCRIPTION + " FROM approval_subscriptions WHERE approval_code = ? ORDER BY subscribed_at, chat_id",
                JdbcStore::subscription, approvalCode);
    }

    @Override
    public List<ApprovalSubscription> approvalSubscriptionsOf(String chatId) {
        return query("SELECT " + SUBSCRIPTION + " FROM approval_subscriptions WHERE chat_id = ? ORDER BY subscribed_at, approval_code",
                JdbcStore::subscription, chatId);
    }

    @Override
    public Optional<ApprovalCard> approvalCard(String chatId, String instanceCode) {
        return query("SELECT " + APPROVAL_CARD + " FROM approval_cards WHERE chat_id = ? AND instance_code = ?",
                JdbcStore::approvalCard, chatId, instanceCode).stream().findFirst();
    }

    @Override
    public boolean saveApprovalCard(ApprovalCard c) {
        String history = writeHistory(c.history());
        if (c.version() == 0) {
            return update("INSERT INTO approval_cards (chat_id, instance_code, approval_code, tenant_key, history, version,"
                            + " updated_at) VALUES (?,?,?,?,?,1,?) ON CONFLICT DO NOTHING",
                    c.chatId(), c.instanceCode(), c.approvalCode(), c.tenantKey(), history, c.updatedAt().toEpochMilli()) == 1;
        }
        return update("UPDATE approval_cards SET history = ?, version = version + 1, updated_at = ?"
                        + " WHERE chat_id = ? AND instance_code = ? AND version = ?",
                history, c.updatedAt().toEpochMilli(), c.chatId(), c.instanceCode(), c.version()) == 1;
    }

    @Override
    public void outboxAdd(List<OutboxMessage> messages) {
        if (messages.isEmpty()) return;
        String sql = "INSERT INTO outbox (kind, topic, target, chat_id, tenant_key, card_name, card_json, uuid, once_key, what,"
                + " status, attempts, due_at, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,'pending',0,?,?,?)"
                + " ON CONFLICT DO NOTHING";
        inTransaction("outbox add", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (OutboxMessage m : messages) {
                    bind(ps, new Object[]{m.kind().name(), m.topic(), m.target(), m.chatId(), m.tenantKey(), m.cardName(),
                            m.cardJson(), m.uuid(), m.once() ? m.uuid() : null, m.what(), m.dueAt().toEpochMilli(),
                            m.expiresAt().toEpochMilli(), m.createdAt().toEpochMilli()});
                    ps.addBatch();
                }
                ps.executeBatch();
                return null;
            }
        });
    }

    @Override
    public List<OutboxMessage> outboxClaim(String owner, Instant now, Duration lease, int limit) {
        String due = "((status = 'pending' AND due_at <= ?) OR (status = 'working' AND lease_until < ?))";
        String pick = "SELECT id FROM outbox WHERE " + due + " ORDER BY id LIMIT ?" + (postgres ? " FOR UPDATE SKIP LOCKED" : "");
        String sql = "UPDATE outbox SET status = 'working', owner = ?, lease_until = ?, attempts = attempts + 1"
                + " WHERE id IN (" + pick + ") AND " + due + " RETURNING " + OUTBOX;
        long t = now.toEpochMilli();
        return query(sql, JdbcStore::outbox, owner, now.plus(lease).toEpochMilli(), t, t, limit, t, t)
                .stream().sorted(Comparator.comparingLong(OutboxMessage::id)).toList();
    }

    @Override
    public boolean outboxSuperseded(OutboxMessage m) {
        return !query("SELECT 1 FROM outbox WHERE topic = ? AND id > ? LIMIT 1", rs -> 1, m.topic(), m.id()).isEmpty();
    }

    @Override
    public boolean outboxFinish(long id, String owner, String status, String messageId, String error, Instant at) {
        return update("UPDATE outbox SET status = ?, message_id = ?, error = ?, finished_at = ?, lease_until = NULL"
                + " WHERE id = ? AND owner = ? AND status = 'working'", status, messageId, error, at.toEpochMilli(), id, owner) == 1;
    }

    @Override
    public void outboxRetryAt(long id, String owner, Instant at, String error) {
        update("UPDATE outbox SET status = 'pending', owner = NULL, lease_until = NULL, due_at = ?, error = ?"
                + " WHERE id = ? AND owner = ? AND status = 'working'", at.toEpochMilli(), error, id, owner);
    }

    @Override
    public long outboxDepth() {
        return query("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'working')", rs -> rs.getLong(1)).get(0);
    }

    @Override
    public int outboxPurge(Instant before) {
        return update("DELETE FROM outbox WHERE status NOT IN ('pending', 'working') AND created_at < ?", before.toEpochMilli());
    }

    @Override
    public Backlog backlog() {
        Backlog in = oldest("SELECT COUNT(*), MIN(received_at) FROM inbox WHERE status IN ('pending', 'working')");
        Backlog out = oldest("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status IN ('pending', 'working')");
        return new Backlog(in.inbox(), in.oldestInbox(), out.inbox(), out.oldestInbox());
    }

    /** A count and the oldest time, in the inbox half of a Backlog. */
    private Backlog oldest(String sql) {
        return query(sql, rs -> new Backlog(rs.getLong(1), millis(rs, 2), 0, null)).get(0);
    }

    @Override
    public void saveTransportReport(TransportReport r) {
        long at = r.reportedAt().toEpochMilli();
        update("INSERT INTO transport_reports (owner, transport, connected, since, last_event, refused, stopped, reported_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner) DO UPDATE SET transport = excluded.transport,"
                        + " connected = excluded.connected, since = excluded.since, last_event = excluded.last_event,"
                        + " refused = excluded.refused, stopped = excluded.stopped, reported_at = excluded.reported_at",
                r.owner(), r.transport(), r.connected() == null ? null : (r.connected() ? 1 : 0), epochOrNull(r.since()),
                epochOrNull(r.lastEvent()), refusedText(r.refused()), r.stopped(), at);
        update("DELETE FROM transport_reports WHERE reported_at < ?", at - Duration.ofDays(1).toMillis());
    }

    @Override
    public List<TransportReport> transportReports(Instant since) {
        return query("SELECT owner, transport, connected, since, last_event, refused, stopped, reported_at FROM transport_reports"
                + " WHERE reported_at >= ? ORDER BY reported_at DESC", rs -> {
            int connected = rs.getInt(3);
            Boolean c = rs.wasNull() ? null : connected == 1;
            return new TransportReport(rs.getString(1), rs.getString(2), c, millis(rs, 4), millis(rs, 5), refusedMap(rs.getString(6)),
                    rs.getString(7), Instant.ofEpochMilli(rs.getLong(8)));
        }, since.toEpochMilli());
    }

    @Override
    public void savePreparedCard(String id, Card card, Instant at) {
        update("INSERT INTO prepared_cards (id, name, json, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                id, card.name(), card.json(), at.toEpochMilli());
        update("DELETE FROM prepared_cards WHERE created_at < ?", at.minus(Duration.ofDays(7)).toEpochMilli());
    }

    @Override
    public Optional<Card> preparedCard(String id) {
        return query("SELECT name, json FROM prepared_cards WHERE id = ?", rs -> new Card(rs.getString(1), rs.getString(2)), id)
                .stream().findFirst();
    }

    private static Long epochOrNull(Instant t) {
        return t == null ? null : t.toEpochMilli();
    }

    private static Instant millis(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    /** Reasons are metric labels ([a-z_]), so "signature=3,token=1" needs no escaping. */
    private static String refusedText(Map<String, Integer> refused) {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(refused).forEach((k, v) -> b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    private static Map<String, Integer> refusedMap(String text) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        if (text == null || text.isEmpty()) return out;
        for (String part : text.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) out.put(part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
        }
        return out;
    }

    @Override
    public Optional<String> cardSlot(String slot) {
        return query("SELECT message_id FROM card_slots WHERE slot = ?", rs -> rs.getString(1), slot).stream().findFirst();
    }

    @Override
    public void saveCardSlot(String slot, String messageId, Instant at) {
        if (messageId == null) {
            update("DELETE FROM card_slots WHERE slot = ?", slot);
            return;
        }
        update("INSERT INTO card_slots (slot, message_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (slot)"
                + " DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at", slot, messageId, at.toEpochMilli());
    }

    @Override
    public void audit(AuditEntry e) {
        update("INSERT INTO audit_log (at, tenant_key, chat_id, actor, action, detail, code, log_id) VALUES (?,?,?,?,?,?,?,?)",
                e.at().toEpochMilli(), e.tenantKey(), e.chatId(), e.actor(), e.action(), e.detail(), e.code(), e.logId());
    }

    @Override
    public List<AuditEntry> recentAudit(int limit) {
        return query("SELECT at, tenant_key, chat_id, actor, action, detail, code, log_id FROM audit_log ORDER BY id DESC LIMIT ?",
                rs -> new AuditEntry(Instant.ofEpochMilli(rs.getLong(1)), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), nullableInt(rs, 7), rs.getString(8)),
                limit);
    }

    @Override
    public void close() {
        if (bound != null) return;
        if (checkpointer != null) checkpointer.close();
        ds.close();
    }

    private static InboxRow row(ResultSet rs) throws SQLException {
        return new InboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getInt(8), Instant.ofEpochMilli(rs.getLong(9)));
    }

    private static Quota quota(ResultSet rs) throws SQLException {
        return new Quota(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4) == 1, nullableInstant(rs, 5), rs.getString(6));
    }

    private static OutboxMessage outbox(ResultSet rs) throws SQLException {
        return new OutboxMessage(rs.getLong(1), OutboxMessage.Kind.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getInt(11), Instant.ofEpochMilli(rs.getLong(12)), Instant.ofEpochMilli(rs.getLong(13)),
                Instant.ofEpochMilli(rs.getLong(14)));
    }

    private static ApplyRequest request(ResultSet rs) throws SQLException {
        String scopes = rs.getString(7);
        return new ApplyRequest(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), scopes == null || scopes.isEmpty() ? List.of() : Arrays.asList(scopes.split(",")),
                rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)), nullableInstant(rs, 10), rs.getString(11));
    }

    private static ApprovalSubscription subscription(ResultSet rs) throws SQLException {
        return new ApprovalSubscription(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                Instant.ofEpochMilli(rs.getLong(5)));
    }

    private static ApprovalCard approvalCard(ResultSet rs) throws SQLException {
        return new ApprovalCard(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                readHistory(rs.getString(5)), rs.getLong(6), Instant.ofEpochMilli(rs.getLong(7)));
    }

    /** The stored form of a click's answer (the same JSON earlier versions wrote, with the card's text). */
    private static String writeAnswer(ClickAnswer a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", a.toastType()).put("zh", a.toastZh()).put("en", a.toastEn());
        if (a.cardJson() != null) {
            n.put("name", a.cardName());
            n.putRawValue("card", new RawValue(a.cardJson()));
        }
        return n.toString();
    }

    private static ClickAnswer readAnswer(String s) throws SQLException {
        if (s == null) return null;
        try {
            JsonNode n = JSON.readTree(s);
            JsonNode card = n.get("card");
            return new ClickAnswer(n.path("type").asText(), n.path("zh").asText(), n.path("en").asText(),
                    card == null ? null : n.path("name").asText(), card == null ? null : card.toString());
        } catch (java.io.IOException e) {
            throw new SQLException("unreadable click answer", e);
        }
    }

    private static String writeHistory(List<ApprovalStatusChange> history) {
        ArrayNode a = JSON.createArrayNode();
        for (ApprovalStatusChange h : history) {
            a.addObject().put("status", h.status()).put("at", h.at().toEpochMilli()).put("event_id", h.eventId());
        }
        return a.toString();
    }

    private static List<ApprovalStatusChange> readHistory(String json) throws SQLException {
        try {
            List<ApprovalStatusChange> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(json == null || json.isEmpty() ? "[]" : json)) {
                out.add(new ApprovalStatusChange(n.path("status").asText(), Instant.ofEpochMilli(n.path("at").asLong()),
                        n.path("event_id").asText("")));
            }
            return out;
        } catch (java.io.IOException e) {
            throw new SQLException("unreadable approval card history", e);
        }
    }

    private static Instant nullableInstant(ResultSet rs, int col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static Integer nullableInt(ResultSet rs, int col) throws SQLException {
        int v = rs.getInt(col);
        return rs.wasNull() ? null : v;
    }

    /** Maps one result row. */
    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    private interface InTransaction<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    private <T> T inTransaction(String what, InTransaction<T> work) {
        if (bound != null) {
            try {
                return work.run(bound);
            } catch (SQLException e) {
                throw new StoreException(what, e);
            }
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(what, e);
        }
    }

    private int update(String sql, Object... args) {
        return withConnection(sql, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                return ps.executeUpdate();
            }
        });
    }

    private <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        return withConnection(sql, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                List<T> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(mapper.map(rs));
                }
                return out;
            }
        });
    }

    /** One statement on the bound connection, or on one from the pool (auto-commit). */
    private <T> T withConnection(String what, InTransaction<T> work) {
        try {
            if (bound != null) return work.run(bound);
            try (Connection c = ds.getConnection()) {
                return work.run(c);
            }
        } catch (SQLException e) {
            throw new StoreException(what, e);
        }
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) ps.setNull(i + 1, Types.NULL);
            else if (a instanceof Long l) ps.setLong(i + 1, l);
            else if (a instanceof Integer n) ps.setInt(i + 1, n);
            else ps.setString(i + 1, a.toString());
        }
    }
}
