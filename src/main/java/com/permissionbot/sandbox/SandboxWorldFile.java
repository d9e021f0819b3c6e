package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.permissionbot.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The emulator's world (the tenant's scopes and grants, versions and the applications they used, the pending
 * application, approval definitions, subscriptions and instances, the groups the bot is in) in a JSON file beside the
 * bot's SQLite database, {@code <database>.sandbox.json}: saved after every change and loaded at start, so that
 * sandbox mode restarted on the same database agrees with itself. Without the database both start fresh; a database
 * without its world is refused, since the bot would remember what the emulator forgot.
 */
final class SandboxWorldFile implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxWorldFile.class);
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .registerModule(new SimpleModule("instants")
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addDeserializer(Instant.class, new FromStringDeserializer<>(Instant.class) {
                        @Override
                        protected Instant _deserialize(String value, DeserializationContext ctxt) {
                            return Instant.parse(value);
                        }
                    }));

    /** The file's content: the tenant and, kept apart (they have their own lock), its approval instances. */
    record World(int format, TenantState.Snapshot tenant, List<ApprovalInstances.Instance> approvalInstances) {
    }

    private final Path file;
    private final TenantState tenant;
    private final ExecutorService saver = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandbox-world-save");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean dirty = new AtomicBoolean();

    private SandboxWorldFile(Path file, TenantState tenant) {
        this.file = file;
        this.tenant = tenant;
    }

    /** Where the world of a sandbox running on {@code database} is kept. */
    static Path beside(Path database) {
        return database.resolveSibling(database.getFileName() + ".sandbox.json");
    }

    /**
     * Loads the world kept beside {@code database} into {@code tenant} (or keeps the fresh one when the database is
     * new), saves it, and saves it again after every change from now on.
     */
    static SandboxWorldFile open(Path database, TenantState tenant) {
        Path file = beside(database);
        boolean hasDatabase = Files.exists(database) || Files.exists(database.resolveSibling(database.getFileName() + "-wal"));
        if (hasDatabase && !Files.exists(file)) {
            throw new ConfigException("database.url", database + " holds data from an earlier run, but the sandbox's world "
                    + file.getFileName() + " is not beside it, so the bot would remember what the emulator forgot; "
                    + "delete the database to start sandbox mode fresh, or set DATABASE_URL to a new file");
        }
        if (hasDatabase) {
            World w = read(file);
            tenant.restore(w.tenant());
            tenant.approvalInstances().restore(w.approvalInstances());
            log.info("sandbox: the emulator's world is {} (version {}, {}/{} applications used, {} approval subscription(s))",
                    file, tenant.onlineVersion().version(), tenant.appliesUsed(), TenantState.APPLIES_PER_VERSION,
                    tenant.subscribedApprovals().size());
        } else if (Files.exists(file)) {
            log.info("sandbox: no database {} beside {}: the emulator starts fresh as well", database, file);
        }
        SandboxWorldFile world = new SandboxWorldFile(file, tenant);
        world.save();
        tenant.onChange(world::changed);
        return world;
    }

    private static World read(Path file) {
        try {
            World w = JSON.readValue(Files.readString(file), World.class);
            if (w.format() != FORMAT || w.tenant() == null) throw new IllegalArgumentException("unknown format " + w.format());
            return new World(w.format(), w.tenant(), Optional.ofNullable(w.approvalInstances()).orElse(List.of()));
        } catch (IOException | RuntimeException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ConfigException("", "the sandbox's world " + file + " cannot be read (" + firstLine(why)
                    + "); delete it and the database beside it to start sandbox mode fresh");
        }
    }

    /** A change: one save soon, however many changes come before it runs. */
    private void changed() {
        if (dirty.compareAndSet(false, true)) {
            try {
                saver.execute(this::save);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // close() saves once more
            }
        }
    }

    /** Writes the world as it is now to a new file, then moves it over the old one (a crash leaves one or the other). */
    private synchronized void save() {
        dirty.set(false);
        World w = new World(FORMAT, tenant.snapshot(), tenant.approvalInstances().instances());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, JSON.writeValueAsString(w));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("sandbox: the emulator's world could not be saved to {}: {}", file, e.toString());
        }
    }

    /** Saves what is not saved yet and stops watching. */
    @Override
    public void close() {
        tenant.onChange(() -> { });
        saver.shutdown();
        try {
            saver.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        save();
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
