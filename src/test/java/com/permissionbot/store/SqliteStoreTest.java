package com.permissionbot.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store open() {
        return JdbcStore.open("jdbc:sqlite:" + dir.resolve("sub/bot.db"));
    }

    /** A second pool on the same file, as a second process on one machine would open it. */
    @Override
    protected Store openAnother() {
        return open();
    }

    @Test
    void reopening_keeps_rows_and_does_not_migrate_twice() {
        Instant t = Instant.parse("2026-11-22T00:00:00Z");
        store.inboxInsert(InboxRow.incoming("msg:x", "ex", "t", "tk", "{}", t), "a", t);
        store.close();
        store = open();
        assertTrue(store.inboxFind("msg:x").isPresent());
        assertEquals(1, store.inboxDepth());
    }

    @Test
    void heroku_style_urls_become_jdbc_urls() {
        Database.Target t = Database.parse("postgres://bob:p%40ss@db.example:6543/bot?sslmode=require");
        assertEquals("jdbc:postgresql://db.example:6543/bot?sslmode=require", t.jdbcUrl());
        assertEquals("bob", t.user());
        assertEquals("p@ss", t.password());
        assertTrue(t.postgres());
        assertEquals(5432, Integer.parseInt(Database.parse("postgres://u:p@h/db").jdbcUrl().replaceAll(".*:(\\d+)/.*", "$1")));
    }
}
