package com.permissionbot.e2e;

import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sandbox mode as an operator runs it: where it listens, and what a restart on the same database remembers. */
class SandboxModeTest {
    @TempDir
    Path dir;
    SandboxWorld world;

    @AfterEach
    void stop() {
        if (world != null) world.close();
    }

    private String listensOn() {
        return Arrays.stream(world.app.http().jettyServer().server().getConnectors())
                .map(c -> String.valueOf(((ServerConnector) c).getHost())).findFirst().orElseThrow();
    }

    @Test
    void sandbox_mode_listens_on_loopback_only() {
        world = SandboxWorld.start(dir);
        assertEquals("127.0.0.1", listensOn());
    }

    @Test
    void server_host_opens_sandbox_mode_to_other_interfaces() {
        world = SandboxWorld.start(dir, "server:\n  host: 0.0.0.0\n");
        assertEquals("0.0.0.0", listensOn());
    }
}
