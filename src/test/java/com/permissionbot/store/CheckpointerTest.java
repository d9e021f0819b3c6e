package com.permissionbot.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** SQLite's log is copied into the database file by the background checkpointer, not by the writer's commits. */
class CheckpointerTest {
    @TempDir
    Path dir;

    @Test
    void committed_rows_reach_the_database_file_without_the_writer_checkpointing() throws Exception {
        Path db = dir.resolve("bot.db");
        try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + db)) {
            long before = Files.size(db);
            List<InboxRow> rows = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                rows.add(InboxRow.incoming("msg:" + i, "e" + i, "im.message.receive_v1", "t1", "x".repeat(1000), Instant.now()));
            }
            store.inboxInsertAll(rows, "a", Instant.now());
            // 400 KB is far below the writer's own checkpoint threshold, so only the background thread copies it
            long end = System.nanoTime() + 5_000_000_000L;
            while (Files.size(db) < before + 300_000 && System.nanoTime() < end) Thread.sleep(20);
            assertTrue(Files.size(db) >= before + 300_000, "database file still " + Files.size(db) + " bytes");
        }
    }
}
