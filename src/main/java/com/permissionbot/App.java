package com.permissionbot;

import com.permissionbot.chat.Conversation;
import com.permissionbot.config.BotConfig;
import com.permissionbot.edge.Intake;
import com.permissionbot.edge.LongConnection;
import com.permissionbot.edge.TransportHealth;
import com.permissionbot.store.TransportReport;
import com.permissionbot.edge.WebhookRoutes;
import com.permissionbot.feishu.BotIdentity;
import com.permissionbot.feishu.Backoff;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.feishu.SdkFeishuGateway;
import com.permissionbot.inbox.EventHandler;
import com.permissionbot.inbox.Inbox;
import com.permissionbot.inbox.InboxWorker;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.util.Threads;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The bot, built from its dependencies: tests start it on a random port with their own store, gateway and clock. */
public final class App implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(App.class);

    /** Prometheus text for /metrics; meters are recorded on Micrometer's global registry, which this joins. */
    private static final PrometheusMeterRegistry PROMETHEUS = prometheus();

    private final BotConfig cfg;
    private final Store store;
    private final FeishuGateway gateway;
    private final InboxWorker worker;
    private final Bot bot;
    private final Javalin http;
    private final ExecutorService platformWork;
    private final Inbox inbox;
    private final Outbox outbox;
    /** Events and clicks over the long connection (FEISHU_TRANSPORT=websocket); null with webhooks. */
    private final LongConnection longConnection;
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(Threads.named("grant-watch"));
    /** What the transport has seen, written to the store for the doctor within a second of a change, else every 15 s. */
    private final TransportHealth health;
    private final ScheduledExecutorService reports = Executors.newSingleThreadScheduledExecutor(Threads.named("transport-report"));
    private static final Duration REPORT_EVERY = Duration.ofSeconds(15);
    private TransportReport lastReport;
    private final String owner;

    public App(BotConfig cfg, Store store, FeishuGateway gateway, Clock clock) {
        this.cfg = cfg;
        this.store = store;
        this.gateway = gateway;
        String owner = "bot-" + UUID.randomUUID().toString().substring(0, 8);
        RetryPolicy retry = new RetryPolicy(Backoff.exponential(cfg.retry().inCall(), Duration.ofSeconds(5)),
                cfg.feishu().maxRateLimitWait(), RetryPolicy.SLEEP);
        this.outbox = new Outbox(store, gateway, retry, clock, owner,
                new Outbox.Settings(cfg.retry().outboxFirst(), cfg.retry().outboxMax(), Duration.ofSeconds(1)));
        this.platformWork = Executors.newFixedThreadPool(8, Threads.named("platform-work"));
        this.owner = owner;
        this.health = new TransportHealth(cfg.feishu().transport().label(), clock);
        // the doctor in chat sees this process as of now, and the others as of their last report
        this.bot = new Bot(cfg, store, gateway, retry, outbox, clock, owner, platformWork, botSelf(gateway, retry, clock), since -> {
            reportTransport();
            return store.transportReports(since);
        });
        this.inbox = new Inbox(store, clock, cfg.inbox().lease(), owner);
        Map<String, EventHandler> handlers = new HashMap<>();
        bot.registry.events().forEach((type, event) -> handlers.put(type, row -> event.run(row.eventId(), row.payload())));
        this.worker = new InboxWorker(store, inbox, clock, cfg.inbox(), owner, handlers);
        Intake intake = new Intake(cfg.feishu().verificationToken(), bot.registry.events().keySet(), inbox, worker, bot.actions);
        this.longConnection = cfg.feishu().transport().websocket()
                ? new LongConnection(cfg.feishu(), cfg.maxBodyBytes(), intake, health, clock) : null;
        var routes = new WebhookRoutes(cfg.feishu(), cfg.maxBodyBytes(), intake, health, clock, cfg.inbox().retention().minusHours(1));
        this.http = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = cfg.maxBodyBytes();
            // Javalin copies every answer through a buffer of this size (32 KB unless set); ours are mostly tiny
            c.http.responseBufferSize = 8192;
            c.useVirtualThreads = false;
        });
        routes.register(http);
        Gauge.builder("bot.inbox.depth", store, Store::inboxDepth).strongReference(false).register(PROMETHEUS);
        http.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(PROMETHEUS.scrape()));
        http.get("/healthz", ctx -> {
            LongConnection.Health t = longConnection == null ? LongConnection.Health.WEBHOOK : longConnection.health();
            Map<String, Object> body = new java.util.LinkedHashMap<>(Map.of("status", t.ok() ? "ok" : "unavailable",
                    "mode", cfg.feishu().sandbox() ? "sandbox" : "feishu", "inbox_depth", store.inboxDepth()));
            body.putAll(t.fields());
            ctx.status(t.ok() ? 200 : 503).json(body);
        });
    }

    /** Opens the store named by the config and the SDK gateway (side by side: each takes a few hundred ms), then builds the app. */
    public static App create(BotConfig cfg, Clock clock) {
        var gateway = java.util.concurrent.CompletableFuture.supplyAsync(() -> new SdkFeishuGateway(cfg.feishu(), clock));
        Store store = JdbcStore.open(cfg.databaseUrl());
        try {
            return new App(cfg, store, gateway.join(), clock);
        } catch (RuntimeException e) {
            store.close();
            throw e instanceof java.util.concurrent.CompletionException && e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    public App start() {
        outbox.start();
        worker.start();
        String host = cfg.bindHost();
        if (host == null) http.start(cfg.port());
        else http.start(host, cfg.port());
        if (!cfg.approvalCodes().isEmpty()) platformWork.execute(bot.approvals::subscribeConfigured);
        long tick = cfg.follow().tick().toMillis();
        ticks.scheduleWithFixedDelay(bot.watcher::tick, tick, tick, TimeUnit.MILLISECONDS);
        if (longConnection != null) longConnection.start();
        reports.scheduleWithFixedDelay(this::reportIfChanged, 0, 1, TimeUnit.SECONDS);
        log.info("permission-bot listening on {} port {} ({} mode)", host == null ? "every interface," : host, port(),
                cfg.feishu().sandbox() ? "sandbox" : "feishu");
        return this;
    }

    public int port() {
        return http.port();
    }

    /** The address the bot listens on; null for every interface. */
    public String host() {
        return cfg.bindHost();
    }

    public BotConfig config() {
        return cfg;
    }

    public Javalin http() {
        return http;
    }

    public Store store() {
        return store;
    }

    /** The features and services, as built for this app. */
    public Bot bot() {
        return bot;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** The long connection, when FEISHU_TRANSPORT is websocket. */
    public java.util.Optional<LongConnection> longConnection() {
        return java.util.Optional.ofNullable(longConnection);
    }

    /** Writes this process's transport report when it changed, or {@link #REPORT_EVERY} after the last one. */
    private synchronized void reportIfChanged() {
        TransportReport now = health.report(owner);
        TransportReport last = lastReport;
        boolean same = last != null && now.equals(new TransportReport(last.owner(), last.transport(), last.connected(), last.since(),
                last.lastEvent(), last.refused(), last.stopped(), now.reportedAt()));
        if (!same || !now.reportedAt().isBefore(last.reportedAt().plus(REPORT_EVERY))) save(now);
    }

    /** Writes this process's transport report now (the doctor in chat reads it at once). */
    private synchronized void reportTransport() {
        save(health.report(owner));
    }

    private void save(TransportReport r) {
        try {
            store.saveTransportReport(r);
            lastReport = r;
        } catch (RuntimeException e) {
            log.warn("cannot write this process's transport report (asked again in a second): {}", e.toString());
        }
    }

    @Override
    public void close() {
        reports.shutdownNow();
        health.shutDown();
        reportTransport();
        if (longConnection != null) longConnection.close();
        http.stop();
        ticks.shutdownNow();
        worker.close();
        inbox.close();
        outbox.close();
        platformWork.shutdownNow();
        store.close();
    }

    private static PrometheusMeterRegistry prometheus() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics.addRegistry(r);
        return r;
    }

    /** The bot's open_id from bot/v3/info, asked again at most once a minute until it is known. */
    private static Supplier<Conversation.BotSelf> botSelf(FeishuGateway gateway, RetryPolicy retry, Clock clock) {
        return new Supplier<>() {
            private volatile Conversation.BotSelf known;
            private volatile Instant nextTry = Instant.MIN;

            @Override
            public Conversation.BotSelf get() {
                if (known != null) return known;
                if (clock.instant().isBefore(nextTry)) return new Conversation.BotSelf(null, null);
                PlatformResult<BotIdentity> r = retry.call("bot info", gateway::botIdentity);
                if (r.ok() && r.value() != null && !r.value().openId().isEmpty()) {
                    known = new Conversation.BotSelf(r.value().openId(), r.value().name());
                    return known;
                }
                log.warn("cannot read the bot's open_id (code {}, log_id {}); group mentions are matched by name", r.code(), r.logId());
                nextTry = clock.instant().plus(Duration.ofMinutes(1));
                return new Conversation.BotSelf(null, null);
            }
        };
    }
}
