package com.permissionbot.functional;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.PlatformEmulator;
import com.permissionbot.support.BotHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A fresh emulator and a bot on a random port for each test, with the extra YAML the test class asks for. */
abstract class FunctionalTest {
    static final String CHAT = "oc_p2p_alice";
    @TempDir
    Path dir;
    PlatformEmulator platform;
    BotHarness bot;

    /** Config added to the harness's own (YAML). */
    String botConfig() {
        return "";
    }

    @BeforeEach
    void start() {
        platform = PlatformEmulator.start();
        bot = BotHarness.start(dir, platform, botConfig());
    }

    @AfterEach
    void stop() {
        bot.close();
        platform.close();
    }

    /** A card's English title. */
    static String title(JsonNode card) {
        return card.path("header").path("title").path("i18n_content").path("en_us").asText();
    }
}
