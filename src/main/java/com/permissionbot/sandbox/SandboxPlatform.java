package com.permissionbot.sandbox;

import com.permissionbot.App;
import com.permissionbot.LocalPlatform;
import com.permissionbot.config.BotConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sandbox mode: the emulator in the bot's process, with fresh credentials, encrypt key and verification token; once
 * the bot runs, events are pushed to its webhook (or, with {@code FEISHU_TRANSPORT=websocket}, over the long connection
 * the bot opens to the emulator's gateway, with no key or token) and the playground page is served on its port.
 */
public final class SandboxPlatform implements LocalPlatform {
    private static final Logger log = LoggerFactory.getLogger(SandboxPlatform.class);

    private final EventPusher.Settings pushSettings;
    private PlatformEmulator emulator;
    private String token;
    private String encryptKey;
    /** The long connection's timing in the sandbox: a ping every 10 s (120 s on Feishu), so a stalled link shows soon. */
    static final ClientConfig SANDBOX_TIMING = new ClientConfig(-1, 5, 1, 10);

    private EventPusher pusher;
    private Deliverer deliverer;
    private boolean websocket;
    private Playground playground;
    private SandboxWorldFile world;
    /** Per approval instance, the delivery its next event waits for (the platform delivers an instance's events in order). */
    private final Map<String, CompletableFuture<?>> approvalChains = new ConcurrentHashMap<>();

    /** The platform's own delivery timing (used by ServiceLoader). */
    public SandboxPlatform() {
        this(EventPusher.Settings.platform());
    }

    /** Custom delivery timing, e.g. a compressed retry schedule for tests. */
    public SandboxPlatform(EventPusher.Settings pushSettings) {
        this.pushSettings = pushSettings;
    }

    @Override
    public BotConfig.Feishu start(BotConfig.Feishu defaults, Optional<Path> database) {
        emulator = PlatformEmulator.start();
        try {
            world = database.map(db -> SandboxWorldFile.open(db, emulator.tenant())).orElse(null);
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
        if (world == null) log.info("sandbox: the bot keeps no database file, so the emulator's world is not kept either");
        websocket = defaults.transport().websocket();
        // over the long connection the app id and secret authenticate; no key or token, as with a real app
        token = websocket ? "" : random();
        encryptKey = websocket ? "" : random();
        emulator.longConnection().timing(pushSettings).clientConfig(SANDBOX_TIMING);
        EmulatorConfig c = emulator.config();
        log.info("sandbox: local Open Platform at {} (app {})", emulator.baseUrl(), c.appId());
        return defaults.pointedAt(emulator.baseUrl(), c.appId(), c.appSecret(), token, encryptKey);
    }

    @Override
    public void attach(App app) {
        if (emulator == null) throw new IllegalStateException("start() first");
        String shown = reachable(app.host(), "localhost");
        if (websocket) {
            deliverer = Deliverer.longConnection(emulator.longConnection());
        } else {
            pusher = new EventPusher(emulator, "http://" + reachable(app.host(), "127.0.0.1") + ":" + app.port(), token, encryptKey, pushSettings);
            deliverer = Deliverer.webhook(pusher);
        }
        emulator.tenant().approvalInstances().onChange(this::approvalChanged);
        playground = new Playground(emulator, deliverer, app.config().follow().opsChatId());
        playground.register(app.http());
        if (websocket) {
            log.info("sandbox: bot ready at http://{}:{}/ (events and card callbacks over the long connection to the emulator)",
                    shown, app.port());
        } else {
            boolean events = pusher.verifyUrl("/webhook/event");
            boolean cards = pusher.verifyUrl("/webhook/card");
            if (!events || !cards) {
                log.warn("sandbox: the bot did not answer the URL check (events {}, cards {})", events ? "ok" : "failed",
                        cards ? "ok" : "failed");
            }
            log.info("sandbox: bot ready at http://{}:{}/ (webhook /webhook/event, card callbacks /webhook/card)", shown, app.port());
        }
        log.info("Playground: http://{}:{}{}", shown, app.port(), Playground.PAGE);
    }

    /**
     * A status change of an approval instance becomes an {@code approval_instance} event (schema 1.0, encrypted and
     * signed by the pusher, or over the long connection) when the app had subscribed to the definition at that moment;
     * otherwise the platform sends nothing. An instance's events go out one after another: each waits until the one
     * before was answered 200 or given up on, as Feishu queues a blocked chain of approval events
     * (https://open.feishu.cn/document/server-docs/event-subscription-guide/overview).
     */
    private void approvalChanged(ApprovalInstances.Change c) {
        if (!c.delivered()) {
            log.info("sandbox: approval instance {} of {} is {}; the app has not subscribed to the definition, nothing is pushed",
                    c.instanceCode(), c.approvalCode(), c.status());
            return;
        }
        Deliverer p = deliverer;
        String event = p.events().approvalInstance(PlatformEvents.newEventId(), c.approvalCode(), c.instanceCode(),
                c.status(), c.at());
        CompletableFuture<?> next = approvalChains.compute(c.instanceCode(), (code, before) ->
                (before == null ? CompletableFuture.completedFuture(null) : before.handle((x, e) -> null))
                        .thenCompose(x -> p.push(event).done()));
        next.whenComplete((x, e) -> {
            if (e != null) log.warn("sandbox: approval_instance {} {} was not pushed: {}", c.instanceCode(), c.status(), e.toString());
            approvalChains.remove(c.instanceCode(), next);
        });
    }

    /** The admins' group of the playground: the ops chat in sandbox mode unless {@code follow.ops_chat_id} is set. */
    @Override
    public String adminsChatId() {
        return Playground.ADMINS_CHAT_ID;
    }

    public PlatformEmulator emulator() {
        return emulator;
    }

    @Override
    public void close() {
        if (pusher != null) pusher.close();
        if (world != null) world.close();
        if (emulator != null) emulator.close();
    }

    /** Where the bot can be reached: the address it listens on, or {@code local} when it listens on loopback or everywhere. */
    private static String reachable(String host, String local) {
        if (host == null || host.equals(BotConfig.LOOPBACK) || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) return local;
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String random() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
