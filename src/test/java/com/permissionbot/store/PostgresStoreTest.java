package com.permissionbot.store;

import com.permissionbot.support.Postgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store contract against a real PostgreSQL server (a fresh database per test), opened with a Heroku-style URL,
 * its second "replica" with a JDBC URL; plus the schema and its migrations.
 */
@ExtendWith(Postgres.class)
class PostgresStoreTest extends StoreContract {
    @TempDir
    Path dir;
    private String database;

    @Override
    protected Store open() {
        database = Postgres.server().createDatabase();
        return JdbcStore.open(Postgres.server().herokuUrl(database));
    }

    @Override
    protected Store openAnother() {
        return JdbcStore.open(Postgres.server().jdbcUrlWithCredentials(database));
    }

    @Test
    void reopening_keeps_rows_and_does_not_migrate_twice() throws Exception {
        Instant t = Instant.parse("2026-11-22T00:00:00Z");
        store.inboxInsert(InboxRow.incoming("msg:x", "ex", "t", "tk", "{}", t), "a", t);
        store.close();
        store = JdbcStore.open(Postgres.server().jdbcUrlWithCredentials(database));
        assertTrue(store.inboxFind("msg:x").isPresent());
        assertEquals(1, store.inboxDepth());
        assertEquals(versions(Migrations.latest()), schemaVersions(database));
    }

    @Test
    void a_wrong_password_fails_to_open_without_showing_the_password() {
        String url = "postgres://" + Postgres.USER + ":not-the-password@127.0.0.1:" + Postgres.server().port() + "/" + database;
        RuntimeException e = assertThrows(RuntimeException.class, () -> JdbcStore.open(url).close());
        assertFalse(String.valueOf(e.getMessage()).contains("not-the-password"), e.getMessage());
    }

    @Test
    void the_schema_is_the_same_as_on_sqlite() throws Exception {
        Map<String, List<String>> pg = new TreeMap<>();
        try (Connection c = Postgres.server().connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT table_name, column_name FROM information_schema.columns"
                     + " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")) {
            while (rs.next()) pg.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
        Map<String, List<String>> lite = new TreeMap<>();
        String file = "jdbc:sqlite:" + dir.resolve("schema.db");
        JdbcStore.open(file).close();
        try (Connection c = DriverManager.getConnection(file); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
                while (rs.next()) tables.add(rs.getString(1));
            }
            for (String table : tables) {
                try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
                    while (rs.next()) lite.computeIfAbsent(table, k -> new ArrayList<>()).add(rs.getString("name"));
                }
            }
        }
        assertEquals(lite, pg);
        assertTrue(pg.containsKey("inbox") && pg.containsKey("leases") && pg.containsKey("apply_quota"), pg.keySet().toString());
    }

    @Test
    void many_pools_migrating_a_fresh_database_at_once_each_apply_every_step_once() throws Exception {
        for (int round = 0; round < 3; round++) {
            String db = Postgres.server().createDatabase();
            List<String> urls = List.of(Postgres.server().herokuUrl(db), Postgres.server().jdbcUrlWithCredentials(db));
            openAtOnce(6, urls);
            assertEquals(versions(Migrations.latest()), schemaVersions(db));
        }
    }

    @Test
    void pools_upgrading_an_older_schema_at_once_apply_each_missing_step_once() throws Exception {
        store.saveApplyRequest(ApplyRequest.pending("t1", "oc_1", "om_1", "ou_a", "1.0.0", List.of("im:message"), Instant.now()));
        // back to version 2: what a database of an older release looks like
        try (Connection c = Postgres.server().connect(database); Statement s = c.createStatement()) {
            s.execute("DROP TABLE approval_subscriptions, approval_cards, leases, grant_snapshot, outbox, card_slots, watch_checks,"
                    + " transport_reports, prepared_cards");
            s.execute("ALTER TABLE card_actions DROP COLUMN deadline");
            s.execute("ALTER TABLE apply_guard DROP COLUMN started_by");
            s.execute("ALTER TABLE apply_requests DROP COLUMN reason");
            s.execute("DELETE FROM schema_version WHERE version > 2");
        }
        store.close();
        // the raw step runner on plain connections, several at once
        ExecutorService pool = Executors.newFixedThreadPool(5);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            done.add(pool.submit(() -> {
                go.await();
                try (Connection c = Postgres.server().connect(database)) {
                    Migrations.apply(c, true);
                }
                return null;
            }));
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        for (Future<?> f : done) f.get();
        assertEquals(versions(Migrations.latest()), schemaVersions(database));
        store = JdbcStore.open(Postgres.server().herokuUrl(database));
        assertEquals(1, store.openApplyRequests("t1").size(), "rows of the older version are kept");
        assertEquals("", store.openApplyRequests("t1").get(0).reason(), "and have no reason");
        assertTrue(store.tryLease("watch:t1", "a", Instant.now(), java.time.Duration.ofMinutes(1)), "the new tables work");
    }

    private static void openAtOnce(int n, List<String> urls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String url = urls.get(i % urls.size());
            done.add(pool.submit(() -> {
                go.await();
                JdbcStore.open(url).close();
                return null;
            }));
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        for (Future<?> f : done) f.get();
    }

    private static List<Integer> versions(int latest) {
        List<Integer> v = new ArrayList<>();
        for (int i = 1; i <= latest; i++) v.add(i);
        return v;
    }

    /** Every row of schema_version, in order (a step applied twice would show twice). */
    private static List<Integer> schemaVersions(String db) throws SQLException {
        List<Integer> v = new ArrayList<>();
        try (Connection c = Postgres.server().connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
            while (rs.next()) v.add(rs.getInt(1));
        }
        assertEquals(new TreeSet<>(v).size(), v.size(), "a step recorded twice: " + v);
        return v;
    }
}
