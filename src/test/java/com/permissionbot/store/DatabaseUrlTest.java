package com.permissionbot.store;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code DATABASE_URL} in its three forms ({@code jdbc:sqlite:}, {@code jdbc:postgresql://}, Heroku-style
 * {@code postgres://}); the PostgreSQL test connects with both PostgreSQL forms.
 */
class DatabaseUrlTest {

    @Test
    void sqlite_urls_pass_through() {
        Database.Target t = Database.parse("jdbc:sqlite:data/permission-bot.db");
        assertEquals("jdbc:sqlite:data/permission-bot.db", t.jdbcUrl());
        assertFalse(t.postgres());
        assertNull(t.user());
    }

    @Test
    void the_file_of_an_sqlite_url_is_where_sandbox_mode_keeps_its_world_beside() {
        assertEquals(Optional.of(Path.of("data/permission-bot.db")), Database.sqliteFile("jdbc:sqlite:data/permission-bot.db"));
        assertEquals(Optional.of(Path.of("/srv/bot.db")), Database.sqliteFile("jdbc:sqlite:/srv/bot.db?journal_mode=WAL"));
        assertEquals(Optional.of(Path.of("/srv/bot.db")), Database.sqliteFile("jdbc:sqlite:file:/srv/bot.db?cache=shared"));
        assertEquals(Optional.of(Path.of("/srv/bot.db")), Database.sqliteFile("jdbc:sqlite:file:///srv/bot.db"));
        for (String none : List.of("jdbc:sqlite::memory:", "jdbc:sqlite:", "jdbc:sqlite:file:bot?mode=memory&cache=shared",
                "postgres://u:p@db/bot", "jdbc:postgresql://db/bot")) {
            assertEquals(Optional.empty(), Database.sqliteFile(none), none);
        }
    }

    @Test
    void jdbc_postgresql_urls_pass_through_with_their_parameters_and_hide_the_password_when_shown() {
        String url = "jdbc:postgresql://db.internal:5433/bot?user=bot&password=hunter2&sslmode=require";
        Database.Target t = Database.parse(url);
        assertEquals(url, t.jdbcUrl());
        assertTrue(t.postgres());
        assertNull(t.user(), "the driver reads user and password from the URL itself");
        assertNull(t.password());
        assertFalse(t.toString().contains("hunter2"), t.toString());
        assertTrue(Database.parse("  jdbc:postgresql://h/db  ").postgres(), "surrounding blanks from an env file are ignored");
    }

    @Test
    void heroku_urls_become_jdbc_urls_with_decoded_credentials() {
        Database.Target t = Database.parse("postgres://u1a2b3:p%40ss%3Aw%2Frd@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9ab8c7");
        assertEquals("jdbc:postgresql://ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9ab8c7", t.jdbcUrl());
        assertEquals("u1a2b3", t.user());
        assertEquals("p@ss:w/rd", t.password());
        assertTrue(t.postgres());
        assertFalse(t.toString().contains("p@ss"));
    }

    @Test
    void heroku_urls_keep_parameters_and_default_the_port() {
        assertEquals("jdbc:postgresql://db.example:6543/bot?sslmode=require",
                Database.parse("postgres://bob:pw@db.example:6543/bot?sslmode=require").jdbcUrl());
        assertEquals("jdbc:postgresql://h:5432/db", Database.parse("postgres://u:p@h/db").jdbcUrl());
        assertEquals("jdbc:postgresql://h:5432/db", Database.parse("postgresql://u:p@h/db").jdbcUrl(), "the long scheme too");
    }

    @Test
    void heroku_urls_with_unusual_hosts_and_credentials() {
        Database.Target underscore = Database.parse("postgres://bot:pw@my_db:5432/bot");
        assertEquals("jdbc:postgresql://my_db:5432/bot", underscore.jdbcUrl(), "container host names may have '_'");
        assertEquals("jdbc:postgresql://[::1]:5432/bot", Database.parse("postgres://bot:pw@[::1]:5432/bot").jdbcUrl());
        Database.Target none = Database.parse("postgres://localhost/bot");
        assertNull(none.user());
        assertNull(none.password());
        assertEquals("jdbc:postgresql://localhost:5432/bot", none.jdbcUrl());
        assertEquals("a+b", Database.parse("postgres://bot:a+b@h/db").password(), "'+' is literal in a URL's user info");
        assertEquals("p@ss", Database.parse("postgres://bot:p@ss@h/db").password(), "an unencoded '@' in the password");
        Database.Target userOnly = Database.parse("postgres://bot@h:1234/db");
        assertEquals("bot", userOnly.user());
        assertNull(userOnly.password());
    }

    @Test
    void other_urls_are_refused() {
        assertThrows(IllegalArgumentException.class, () -> Database.parse("mysql://u:p@h/db"));
        assertThrows(IllegalArgumentException.class, () -> Database.parse("postgres://"));
    }
}
