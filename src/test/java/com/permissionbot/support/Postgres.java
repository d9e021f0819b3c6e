package com.permissionbot.support;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, started once per test JVM from Debian's binaries
 * ({@code /usr/lib/postgresql/<version>/bin}) in a temp folder, on a free loopback port, and stopped at the end of the
 * run (JUnit closes it with the root context; a JVM shutdown hook stops it too). As root it runs as the
 * {@code postgres} user (initdb refuses root), creating a dedicated user if there is none.
 *
 * <p>Use it as {@code @ExtendWith(Postgres.class)} and then {@link #server()} (in {@code @BeforeEach} or tests). Without the binaries a test class is
 * skipped with a visible message, except in CI (environment variable {@code CI} set), where it fails.
 */
public final class Postgres implements BeforeEachCallback {
    /** The superuser the tests connect as, and its password (with characters that need URL encoding). */
    public static final String USER = "bot";
    public static final String PASSWORD = "s3cret:p@ss/w%rd";

    private static final Duration STEP = Duration.ofSeconds(60);
    private static Server server;
    private static String unavailable;
    private static boolean told;

    /** Before each test (so that a skip shows as skipped tests in the report, not as a class with none). */
    @Override
    public void beforeEach(ExtensionContext context) {
        Server s = server();
        // closed when the whole test run ends; the shutdown hook is the fallback
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Server.class, k -> s, Server.class);
    }

    /** The running server: started on first use, skipped (locally) or failed (CI) without PostgreSQL. */
    public static synchronized Server server() {
        if (server != null && server.running) return server;
        if (unavailable != null) skipOrFail(unavailable);
        Optional<Path> bin = binaries();
        if (bin.isEmpty()) {
            unavailable = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); install Debian's "
                    + "'postgresql' package (apt-get install -y postgresql) to run the PostgreSQL tests";
            skipOrFail(unavailable);
        }
        try {
            server = Server.start(bin.get());
        } catch (Exception e) {
            // the binaries are there but the server did not come up: that is a failure everywhere, never a skip
            throw new IllegalStateException("could not start PostgreSQL from " + bin.get() + ": " + e.getMessage(), e);
        }
        return server;
    }

    private static void skipOrFail(String why) {
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank() && !"false".equalsIgnoreCase(ci)) {
            throw new AssertionError("CI is set, so the PostgreSQL tests must run: " + why);
        }
        if (!told) System.err.println("SKIPPED (PostgreSQL tests): " + why);
        told = true;
        Assumptions.abort(why);
    }

    /** The newest {@code /usr/lib/postgresql/<v>/bin} with initdb and pg_ctl, or {@code PG_BIN} if set. */
    static Optional<Path> binaries() {
        String forced = System.getenv("PG_BIN");
        if (forced != null && !forced.isBlank()) {
            Path p = Path.of(forced);
            return Files.isExecutable(p.resolve("initdb")) ? Optional.of(p) : Optional.empty();
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) return Optional.empty();
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingDouble(Postgres::versionOf));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static double versionOf(Path bin) {
        try {
            return Double.parseDouble(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One server: its folder, port and the user it runs as. */
    public static final class Server implements ExtensionContext.Store.CloseableResource {
        private final Path bin;
        private final Path base;
        private final Path data;
        private final String runAs;
        private final int port;
        private final AtomicInteger databases = new AtomicInteger();
        private volatile boolean running;

        private Server(Path bin, Path base, String runAs, int port) {
            this.bin = bin;
            this.base = base;
            this.data = base.resolve("data");
            this.runAs = runAs;
            this.port = port;
        }

        static Server start(Path bin) throws Exception {
            long t = System.nanoTime();
            String runAs = isRoot() ? serviceUser() : null;
            Path base = Files.createTempDirectory("permission-bot-pg-");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            Path pw = base.resolve("pwfile");
            Files.writeString(pw, PASSWORD + "\n");
            Files.createDirectory(base.resolve("sock"));
            if (runAs != null) {
                UserPrincipal owner = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
                for (Path p : List.of(base, pw, base.resolve("sock"))) Files.setOwner(p, owner);
            }
            run(runAs, STEP, bin.resolve("initdb").toString(), "-D", base.resolve("data").toString(), "-U", USER,
                    "--pwfile=" + pw, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                    "--no-sync");
            Files.deleteIfExists(pw);
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                Server s = new Server(bin, base, runAs, freePort());
                try {
                    s.pgCtl("start", "-l", base.resolve("postgres.log").toString(), "-o",
                            "-p " + s.port + " -c listen_addresses=127.0.0.1 -k " + base.resolve("sock")
                                    + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                                    + " -c max_connections=300");
                    s.running = true;
                    Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "postgres-stop"));
                    System.out.printf("PostgreSQL (%s) started on 127.0.0.1:%d in %s as %s in %d ms%n",
                            bin.getParent().getFileName(), s.port, base, runAs == null ? System.getProperty("user.name") : runAs,
                            (System.nanoTime() - t) / 1_000_000);
                    return s;
                } catch (IOException e) {
                    last = e; // most likely the port was taken in between; try another
                }
            }
            throw last;
        }

        public int port() {
            return port;
        }

        /** A new, empty database; its name. */
        public String createDatabase() {
            String name = "t" + databases.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);
            try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
            }
            return name;
        }

        /** The JDBC URL of a database, without credentials. */
        public String jdbcUrl(String database) {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
        }

        /** A {@code DATABASE_URL} in JDBC form with the credentials as (URL-encoded) parameters. */
        public String jdbcUrlWithCredentials(String database) {
            return jdbcUrl(database) + "?user=" + USER + "&password=" + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8);
        }

        /** A {@code DATABASE_URL} as Heroku writes it: {@code postgres://user:pass@host:port/db}. */
        public String herokuUrl(String database) {
            return "postgres://" + USER + ":" + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8) + "@127.0.0.1:" + port
                    + "/" + database;
        }

        /** A plain connection to a database, for looking at rows directly. */
        public Connection connect(String database) throws SQLException {
            return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
        }

        /** Stops the server (fast: it is a throw-away) and deletes its folder; safe to call twice. */
        public synchronized void stop() {
            if (!running) return;
            running = false;
            try {
                pgCtl("stop", "-m", "immediate");
            } catch (Exception e) {
                System.err.println("PostgreSQL did not stop cleanly: " + e.getMessage());
            }
            deleteTree(base);
        }

        @Override
        public void close() {
            stop();
        }

        private void pgCtl(String action, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), action, "-D", data.toString(),
                    "-w", "-t", String.valueOf(STEP.toSeconds() - 5)));
            cmd.addAll(List.of(args));
            run(runAs, STEP, cmd.toArray(new String[0]));
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }

        private static boolean isRoot() throws IOException {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        }

        /** The user to run the server as root: {@code postgres} (Debian's package makes it), else one made here. */
        private static String serviceUser() throws IOException, InterruptedException {
            for (String u : List.of("postgres", "pgtest")) {
                if (exitCode(Duration.ofSeconds(10), "id", "-u", u) == 0) return u;
            }
            run(null, Duration.ofSeconds(30), "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pgtest");
            return "pgtest";
        }

        /** Runs a command (as {@code user} through runuser when given) and fails on a non-zero exit or timeout. */
        private static void run(String user, Duration timeout, String... command) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            if (user != null) cmd.addAll(List.of("runuser", "-u", user, "--"));
            cmd.addAll(List.of(command));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            // read output on a thread so a chatty command cannot block on a full pipe
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process went away
                }
            }, "pg-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            reader.join(2000);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + out.toString().trim());
            }
        }

        private static int exitCode(Duration timeout, String... command) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        }

        private static void deleteTree(Path root) {
            try (Stream<Path> all = Files.walk(root)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // best effort: it is a temp folder
                    }
                });
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
