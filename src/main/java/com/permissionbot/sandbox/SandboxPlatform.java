package com.permissionbot.sandbox;

import com.permissionbot.App;
import com.permissionbot.LocalPlatform;
import com.permissionbot.config.BotConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Sandbox mode: the emulator in the bot's process, with fresh credentials, encrypt key and verification token. */
public final class SandboxPlatform implements LocalPlatform {
    private static final Logger log = LoggerFactory.getLogger(SandboxPlatform.class);

    private PlatformEmulator emulator;
    private String token;
    private String encryptKey;

    @Override
    public BotConfig.Feishu start(BotConfig.Feishu defaults) {
        emulator = PlatformEmulator.start();
        token = random();
        encryptKey = random();
        EmulatorConfig c = emulator.config();
        log.info("sandbox: local Open Platform at {} (app {})", emulator.baseUrl(), c.appId());
        return defaults.pointedAt(emulator.baseUrl(), c.appId(), c.appSecret(), token, encryptKey);
    }

    @Override
    public void attach(App app) {
        log.info("sandbox: bot ready at http://localhost:{}/ (webhook /webhook/event, card callbacks /webhook/card)", app.port());
    }

    public PlatformEmulator emulator() {
        return emulator;
    }

    @Override
    public void close() {
        if (emulator != null) emulator.close();
    }

    private static String random() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
