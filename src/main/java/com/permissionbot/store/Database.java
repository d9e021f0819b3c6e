package com.permissionbot.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns {@code DATABASE_URL} into a pooled data source and the SQL dialect to use with it. */
public final class Database {
    private Database() {}

    /** A JDBC URL with its credentials, and whether it is PostgreSQL. */
    public record Target(String jdbcUrl, String user, String password, boolean postgres) {
        @Override
        public String toString() {
            return jdbcUrl.replaceAll("password=[^&]*", "password=***");
        }
    }

    /** Heroku-style {@code postgres[ql]://[user[:password]@]host[:port][/database][?params]}. */
    private static final Pattern URL = Pattern.compile(
            "postgres(?:ql)?://(?:(?<userinfo>[^/?#]*)@)?(?<host>\\[[^\\]]+\\]|[^:/?#]+)"
                    + "(?::(?<port>\\d+))?(?<path>/[^?#]*)?(?:\\?(?<query>[^#]*))?");

    /**
     * Accepts {@code jdbc:sqlite:…}, {@code jdbc:postgresql://…} (credentials as {@code user=}/{@code password=}
     * parameters) and Heroku-style {@code postgres://user:pass@host:port/db} (percent-encoded user and password, port
     * 5432 if absent, parameters such as {@code sslmode=require} kept).
     */
    public static Target parse(String url) {
        if (url == null) throw new IllegalArgumentException("no database URL");
        url = url.trim();
        if (url.startsWith("jdbc:sqlite:")) return new Target(url, null, null, false);
        if (url.startsWith("jdbc:postgresql:")) return new Target(url, null, null, true);
        if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            // by hand rather than java.net.URI, which gives no host for names with '_' (as container hosts often have)
            Matcher m = URL.matcher(url);
            if (!m.matches()) throw new IllegalArgumentException("unreadable PostgreSQL URL (want postgres://user:pass@host:port/db)");
            String user = null, pass = null;
            if (m.group("userinfo") != null) {
                String[] up = m.group("userinfo").split(":", 2);
                user = decode(up[0]);
                if (up.length > 1) pass = decode(up[1]);
            }
            int port = m.group("port") == null ? 5432 : Integer.parseInt(m.group("port"));
            String path = m.group("path") == null ? "/" : m.group("path");
            String query = m.group("query") == null || m.group("query").isEmpty() ? "" : "?" + m.group("query");
            return new Target("jdbc:postgresql://" + m.group("host") + ":" + port + path + query,
                    user == null || user.isEmpty() ? null : user, pass, true);
        }
        throw new IllegalArgumentException("unsupported database URL (want jdbc:sqlite:…, jdbc:postgresql://… or postgres://…)");
    }

    /**
     * The file an SQLite URL keeps its data in ({@code jdbc:sqlite:data/bot.db}, {@code jdbc:sqlite:file:/x/bot.db?…});
     * empty for PostgreSQL and for an in-memory database.
     */
    public static Optional<Path> sqliteFile(String url) {
        if (url == null || !url.trim().startsWith("jdbc:sqlite:")) return Optional.empty();
        String s = url.trim().substring("jdbc:sqlite:".length());
        boolean uri = s.startsWith("file:");
        if (s.isEmpty() || s.startsWith(":memory:") || (uri && s.contains("mode=memory"))) return Optional.empty();
        if (uri) s = s.substring("file:".length());
        int q = s.indexOf('?');
        if (q >= 0) s = s.substring(0, q);
        if (uri && s.startsWith("///")) s = s.substring(2);
        return s.isEmpty() ? Optional.empty() : Optional.of(Path.of(s));
    }

    private static String decode(String s) {
        return s == null ? null : URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Opens a pool: one connection for SQLite (it serialises writers anyway), a few for PostgreSQL. */
    public static HikariDataSource open(Target t) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(t.jdbcUrl());
        if (t.user() != null) c.setUsername(t.user());
        if (t.password() != null) c.setPassword(t.password());
        c.setPoolName("store");
        if (t.postgres()) {
            c.setMaximumPoolSize(8);
            // a query on a connection the network cut fails within a minute instead of holding its thread (the inbox's
            // one writer, whose rows the acks wait for) until TCP gives up, which can take many minutes
            c.addDataSourceProperty("socketTimeout", "60");
        } else {
            makeParentDir(t.jdbcUrl().substring("jdbc:sqlite:".length()));
            c.setMaximumPoolSize(1);
            c.addDataSourceProperty("journal_mode", "WAL");
            c.addDataSourceProperty("synchronous", "NORMAL");
            c.addDataSourceProperty("busy_timeout", "10000");
            c.addDataSourceProperty("foreign_keys", "true");
            // the Checkpointer copies the log in the background; the writer only does it if that falls far behind
            c.setConnectionInitSql("PRAGMA wal_autocheckpoint = " + Checkpointer.WRITER_CHECKPOINT_PAGES);
        }
        c.setConnectionTimeout(10_000);
        return new HikariDataSource(c);
    }

    private static void makeParentDir(String file) {
        if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) return;
        int q = file.indexOf('?');
        Path parent = Path.of(q < 0 ? file : file.substring(0, q)).toAbsolutePath().getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create database folder " + parent + ": " + e.getMessage());
        }
    }
}
