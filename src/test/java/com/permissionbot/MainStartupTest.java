package com.permissionbot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Main} as an operator starts it: a configuration error is one line on stderr and exit code 2, nothing starts. */
class MainStartupTest {
    @TempDir
    Path dir;

    /** What the process printed and how it ended. */
    record Run(int exit, String stderr, String stdout) {
        /** The one line of a configuration error (and nothing else on stderr). */
        String line() {
            List<String> lines = stderr.lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), "one line on stderr, got:\n" + stderr + "\nstdout:\n" + stdout);
            return lines.get(0);
        }
    }

    /** Runs {@code com.permissionbot.Main} in {@code cwd} with only these run-contract variables set. */
    static Run main(Path cwd, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                "com.permissionbot.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("FEISHU_") || k.equals("DATABASE_URL") || k.equals("BOT_CONFIG") || k.equals("PORT")
                || k.equals("LOG_LEVEL"));
        e.put("PORT", "0");
        e.putAll(env);
        // outside cwd: one test runs in the project's folder
        Path out = Files.createTempFile("stdout", ".txt");
        Path err = Files.createTempFile("stderr", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Main did not stop within 60 s:\n" + Files.readString(out) + Files.readString(err));
        }
        Run run = new Run(p.exitValue(), Files.readString(err), Files.readString(out));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    @Test
    void a_stray_secret_without_an_app_id_stops_start_up_in_one_line_and_never_starts_sandbox_mode() throws Exception {
        for (String var : List.of("FEISHU_APP_SECRET", "FEISHU_VERIFICATION_TOKEN", "FEISHU_ENCRYPT_KEY")) {
            Run r = main(dir, Map.of(var, "Xk3vB9qLmN2pR7sT4wY6zA8cD1eF5gH0"));
            assertEquals(2, r.exit(), r.stderr());
            String line = r.line();
            assertTrue(line.startsWith("permission-bot: configuration error") && line.contains("FEISHU_APP_ID is not set, but " + var), line);
            assertFalse(r.stdout().contains("sandbox") || r.stdout().contains("Playground"), "sandbox mode started:\n" + r.stdout());
            assertFalse((r.stdout() + r.stderr()).contains("Xk3vB9qLmN2p"), "the secret was printed");
        }
    }

    @Test
    void the_class_archive_training_answers_in_sandbox_mode_and_exits_cleanly() throws Exception {
        // the archive itself is recorded by `mvn package` from the jar (the JVM archives no class directories)
        Run r = main(Path.of("").toAbsolutePath(), Map.of(), "class-archive-training");
        assertEquals(0, r.exit(), r.stdout() + r.stderr());
        assertEquals("", r.stderr().strip(), "the training finished");
        assertFalse(r.stdout().contains(" ERROR ") || r.stdout().contains(" WARN "), r.stdout());
    }

    @Test
    void the_doctor_command_prints_only_its_table_and_exits_with_its_verdict() throws Exception {
        try (var platform = com.permissionbot.sandbox.PlatformEmulator.start()) {
            Run r = main(dir, Map.of("FEISHU_APP_ID", platform.config().appId(), "FEISHU_APP_SECRET", "not-the-secret",
                    "FEISHU_TRANSPORT", "websocket", "FEISHU_BASE_URL", platform.baseUrl(),
                    "DATABASE_URL", "jdbc:sqlite:" + dir.resolve("doctor.db")), "doctor");
            assertEquals(DoctorCommand.NEEDS_FIX, r.exit(), r.stdout() + r.stderr());
            assertTrue(r.stdout().startsWith("permission-bot doctor · " + platform.config().appId()), r.stdout());
            assertTrue(r.stdout().contains("The app secret is wrong") && r.stdout().contains("code 10014"), r.stdout());
            assertFalse(r.stdout().contains(" INFO ") || r.stdout().contains(" WARN "), "no log lines in the table:\n" + r.stdout());
            assertFalse(r.stdout().contains("not-the-secret"), "the secret is never printed");
        }
        Run sandbox = main(dir, Map.of(), "doctor");
        assertEquals(DoctorCommand.CANNOT_RUN, sandbox.exit(), sandbox.stdout());
        Run unknown = main(dir, Map.of(), "docter");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.line().contains("unknown command 'docter'"), unknown.stderr());
    }

    @Test
    void sandbox_mode_on_postgresql_is_a_configuration_error() throws Exception {
        Run r = main(dir, Map.of("DATABASE_URL", "postgres://bot:pw@127.0.0.1:1/bot"));
        assertEquals(2, r.exit(), r.stderr());
        assertTrue(r.line().contains("database.url: is PostgreSQL, but without FEISHU_APP_ID"), r.stderr());
        assertFalse(r.stderr().contains("bot:pw"), r.stderr());
    }

    @Test
    void a_configuration_error_names_the_file_actually_read() throws Exception {
        Run packaged = main(dir, Map.of("PORT", "eighty"));
        assertEquals(2, packaged.exit(), packaged.stderr());
        assertEquals("permission-bot: configuration error in the packaged default bot-config.yaml (there is no BOT_CONFIG "
                + "and no ./bot-config.yaml): server.port: must be a whole number, got 'eighty'", packaged.line());

        write(dir.resolve("bot-config.yaml"), "inbox:\n  wrokers: 3\n");
        Run local = main(dir, Map.of());
        assertEquals(2, local.exit(), local.stderr());
        assertEquals("permission-bot: configuration error in " + dir.resolve("bot-config.yaml").toAbsolutePath().toRealPath()
                + ": inbox.wrokers: unknown key (check the spelling against bot-config.yaml)", local.line());

        Path named = dir.resolve("conf/prod.yaml");
        write(named, "approval:\n  subscribe: [leave]\n");
        Run viaEnv = main(dir, Map.of("BOT_CONFIG", named.toString()));
        assertEquals(2, viaEnv.exit(), viaEnv.stderr());
        assertTrue(viaEnv.line().startsWith("permission-bot: configuration error in " + named.toAbsolutePath()
                + " (BOT_CONFIG): approval.subscribe: 'leave' is not an approval definition code"), viaEnv.line());
    }

    @Test
    void a_broken_card_template_stops_start_up_in_one_line_before_anything_starts() throws Exception {
        Path cards = dir.resolve("my-cards");
        write(cards.resolve("help.json"), "{\"schema\": \"2.0\",\n \"config\": {\"update_multi\": true}, \"body\": {\"elements\": [\n");
        write(dir.resolve("bot-config.yaml"), "cards:\n  override_dir: " + cards + "\n");
        Run r = main(dir, Map.of("DATABASE_URL", "jdbc:sqlite:" + dir.resolve("data/bot.db")));
        assertEquals(2, r.exit(), r.stderr());
        assertTrue(r.line().startsWith("permission-bot: configuration error: card template " + cards.resolve("help.json")
                + " is not valid JSON at line 3, column 1: Unexpected end-of-input"), r.line());
        assertFalse(r.line().contains("[Source"), r.line());
        assertTrue(r.stdout().isBlank(), "nothing started, nothing logged:\n" + r.stdout());
        assertFalse(Files.exists(dir.resolve("data/bot.db")), "no database was created");
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text);
    }
}
