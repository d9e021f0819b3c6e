package com.permissionbot.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Copies SQLite's write-ahead log into the database file on its own thread and connection, so the writer's commits
 * do not stop for the copy and its fsync (about half the cost of an inbox insert when the writer did it itself).
 * https://www.sqlite.org/wal.html#automatic_checkpoint
 */
final class Checkpointer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
    /** The writer still checkpoints by itself past this many WAL pages (about 80 MB), if this thread falls behind. */
    static final int WRITER_CHECKPOINT_PAGES = 20_000;
    private static final long INTERVAL_MS = 100;

    private final Connection connection;
    private final Thread thread;
    private volatile boolean closed;

    private Checkpointer(Connection connection) {
        this.connection = connection;
        this.thread = new Thread(this::run, "sqlite-checkpoint");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts one for a file database; none for an in-memory one (it has no log to copy). */
    static Checkpointer start(String jdbcUrl) {
        String file = jdbcUrl.substring("jdbc:sqlite:".length());
        if (file.isEmpty() || file.contains(":memory:") || file.contains("mode=memory")) return null;
        try {
            return new Checkpointer(DriverManager.getConnection(jdbcUrl));
        } catch (SQLException e) {
            log.warn("no background checkpoints ({}); the writer checkpoints by itself", e.getMessage());
            return null;
        }
    }

    private void run() {
        try (Statement st = connection.createStatement()) {
            st.execute("PRAGMA busy_timeout = 1000");
            while (!closed) {
                Thread.sleep(INTERVAL_MS);
                // PASSIVE never blocks the writer; what it cannot copy now is copied on the next round
                st.execute("PRAGMA wal_checkpoint(PASSIVE)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            if (!closed) log.warn("background checkpoints stopped ({}); the writer checkpoints by itself", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
