package com.permissionbot.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** The schema, as numbered steps applied once each at start-up, in one transaction per step. */
final class Migrations {
    private Migrations() {}

    /** Each step is a list of statements; {@code %ID%} becomes the dialect's auto-increment key. */
    private static final List<List<String>> STEPS = List.of(
            List.of(
                    """
                    CREATE TABLE inbox (
                      id %ID%,
                      dedup_key TEXT NOT NULL UNIQUE,
                      event_id TEXT UNIQUE,
                      event_type TEXT NOT NULL,
                      tenant_key TEXT,
                      payload TEXT NOT NULL,
                      status TEXT NOT NULL,
                      owner TEXT,
                      lease_until BIGINT,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      received_at BIGINT NOT NULL,
                      finished_at BIGINT,
                      error TEXT)""",
                    "CREATE INDEX inbox_open ON inbox (status, lease_until)",
                    "CREATE INDEX inbox_received ON inbox (received_at)",
                    """
                    CREATE TABLE card_actions (
                      action_key TEXT PRIMARY KEY,
                      finished INTEGER NOT NULL DEFAULT 0,
                      response TEXT,
                      created_at BIGINT NOT NULL,
                      finished_at BIGINT)""",
                    """
                    CREATE TABLE audit_log (
                      id %ID%,
                      at BIGINT NOT NULL,
                      tenant_key TEXT,
                      chat_id TEXT,
                      actor TEXT,
                      action TEXT NOT NULL,
                      detail TEXT,
                      code INTEGER,
                      log_id TEXT)"""),
            List.of(
                    """
                    CREATE TABLE apply_quota (
                      tenant_key TEXT NOT NULL,
                      app_version TEXT NOT NULL,
                      used INTEGER NOT NULL DEFAULT 0,
                      exhausted INTEGER NOT NULL DEFAULT 0,
                      exhausted_at BIGINT,
                      last_at BIGINT,
                      last_by TEXT,
                      PRIMARY KEY (tenant_key, app_version))""",
                    """
                    CREATE TABLE apply_guard (
                      tenant_key TEXT PRIMARY KEY,
                      started_at BIGINT NOT NULL)""",
                    """
                    CREATE TABLE apply_requests (
                      id %ID%,
                      tenant_key TEXT NOT NULL,
                      chat_id TEXT,
                      message_id TEXT,
                      requester TEXT NOT NULL,
                      app_version TEXT,
                      scopes TEXT NOT NULL,
                      status TEXT NOT NULL,
                      created_at BIGINT NOT NULL,
                      granted_at BIGINT)""",
                    "CREATE INDEX apply_requests_open ON apply_requests (tenant_key, status)",
                    "CREATE INDEX apply_requests_by ON apply_requests (requester, created_at)"),
            List.of(
                    """
                    CREATE TABLE approval_subscriptions (
                      approval_code TEXT NOT NULL,
                      chat_id TEXT NOT NULL,
                      tenant_key TEXT,
                      subscribed_by TEXT,
                      subscribed_at BIGINT NOT NULL,
                      PRIMARY KEY (approval_code, chat_id))""",
                    "CREATE INDEX approval_subscriptions_chat ON approval_subscriptions (chat_id, subscribed_at)",
                    """
                    CREATE TABLE approval_cards (
                      chat_id TEXT NOT NULL,
                      instance_code TEXT NOT NULL,
                      approval_code TEXT NOT NULL,
                      tenant_key TEXT,
                      message_id TEXT,
                      history TEXT NOT NULL,
                      synced INTEGER NOT NULL DEFAULT 0,
                      version BIGINT NOT NULL,
                      updated_at BIGINT NOT NULL,
                      PRIMARY KEY (chat_id, instance_code))"""),
            List.of(
                    "CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_at BIGINT NOT NULL)",
                    """
                    CREATE TABLE grant_snapshot (
                      tenant_key TEXT NOT NULL,
                      scope TEXT NOT NULL,
                      granted INTEGER NOT NULL,
                      seen_at BIGINT NOT NULL,
                      PRIMARY KEY (tenant_key, scope))"""),
            List.of(
                    """
                    CREATE TABLE outbox (
                      id %ID%,
                      kind TEXT NOT NULL,
                      topic TEXT NOT NULL,
                      target TEXT NOT NULL,
                      chat_id TEXT,
                      tenant_key TEXT,
                      card_name TEXT NOT NULL,
                      card_json TEXT NOT NULL,
                      uuid TEXT,
                      once_key TEXT UNIQUE,
                      what TEXT NOT NULL,
                      status TEXT NOT NULL,
                      owner TEXT,
                      lease_until BIGINT,
                      attempts INTEGER NOT NULL DEFAULT 0,
                      due_at BIGINT NOT NULL,
                      expires_at BIGINT NOT NULL,
                      created_at BIGINT NOT NULL,
                      finished_at BIGINT,
                      message_id TEXT,
                      error TEXT)""",
                    "CREATE INDEX outbox_due ON outbox (status, due_at)",
                    "CREATE INDEX outbox_topic ON outbox (topic, id)",
                    "CREATE TABLE card_slots (slot TEXT PRIMARY KEY, message_id TEXT NOT NULL, updated_at BIGINT NOT NULL)",
                    // approval status cards sent before the outbox keep being updated in place
                    """
                    INSERT INTO card_slots (slot, message_id, updated_at)
                      SELECT 'approval:' || chat_id || ':' || instance_code, message_id, updated_at
                      FROM approval_cards WHERE message_id IS NOT NULL""",
                    "ALTER TABLE card_actions ADD COLUMN deadline BIGINT",
                    "ALTER TABLE apply_guard ADD COLUMN started_by TEXT"),
            List.of(
                    // the grant watcher's schedule, shared by the replicas
                    "CREATE TABLE watch_checks (tenant_key TEXT PRIMARY KEY, checked_at BIGINT NOT NULL)"),
            List.of(
                    // what the requester typed with an application (empty for none; older rows have none)
                    "ALTER TABLE apply_requests ADD COLUMN reason TEXT NOT NULL DEFAULT ''"),
            List.of(
                    // what each running process says of its transport, for the doctor
                    """
                    CREATE TABLE transport_reports (
                      owner TEXT PRIMARY KEY,
                      transport TEXT NOT NULL,
                      connected INTEGER,
                      since BIGINT,
                      last_event BIGINT,
                      refused TEXT NOT NULL,
                      stopped TEXT,
                      reported_at BIGINT NOT NULL)""",
                    "CREATE TABLE prepared_cards (id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL, created_at BIGINT NOT NULL)"));

    static int latest() {
        return STEPS.size();
    }

    static void apply(Connection c, boolean postgres) throws SQLException {
        String id = postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            if (postgres) s.execute("SELECT pg_advisory_xact_lock(727274)");
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int current = 0;
            try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                if (rs.next()) current = rs.getInt(1);
            }
            c.commit();
            for (int v = current + 1; v <= STEPS.size(); v++) {
                if (postgres) s.execute("SELECT pg_advisory_xact_lock(727274)");
                int again = 0;
                try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                    if (rs.next()) again = rs.getInt(1);
                }
                if (again >= v) {
                    c.commit();
                    continue;
                }
                for (String sql : STEPS.get(v - 1)) s.execute(sql.replace("%ID%", id));
                s.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
                c.commit();
            }
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
