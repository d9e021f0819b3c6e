package com.permissionbot.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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

    /** Accepts {@code jdbc:sqlite:…}, {@code jdbc:postgresql://…} and Heroku-style {@code postgres://user:pass@host:port/db}. */
    public static Target parse(String url) {
        if (url.startsWith("jdbc:sqlite:")) return new Target(url, null, null, false);
        if (url.startsWith("jdbc:postgresql://")) return new Target(url, null, null, true);
        if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            URI u = URI.create(url);
            String user = null, pass = null;
            if (u.getRawUserInfo() != null) {
                String[] up = u.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(up[0], StandardCharsets.UTF_8);
                if (up.length > 1) pass = URLDecoder.decode(up[1], StandardCharsets.UTF_8);
            }
            int port = u.getPort() < 0 ? 5432 : u.getPort();
            String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
            return new Target("jdbc:postgresql://" + u.getHost() + ":" + port + u.getRawPath() + query, user, pass, true);
        }
        throw new IllegalArgumentException("unsupported database URL");
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
        } else {
            makeParentDir(t.jdbcUrl().substring("jdbc:sqlite:".length()));
            c.setMaximumPoolSize(1);
            c.addDataSourceProperty("journal_mode", "WAL");
            c.addDataSourceProperty("synchronous", "NORMAL");
            c.addDataSourceProperty("busy_timeout", "10000");
            c.addDataSourceProperty("foreign_keys", "true");
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
