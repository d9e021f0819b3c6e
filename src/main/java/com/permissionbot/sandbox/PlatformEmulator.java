package com.permissionbot.sandbox;

import io.javalin.Javalin;
import io.javalin.http.Context;
import org.eclipse.jetty.server.AbstractConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** A loopback HTTP server that answers like Feishu's Open Platform for one self-built app in one tenant. */
public final class PlatformEmulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformEmulator.class);
    private static final Pattern EMPTY_APPROVAL_CODE =
            Pattern.compile("/open-apis/approval/v4/approvals/+(un)?subscribe/?");

    private final EmulatorConfig config;
    private final TenantState tenant;
    private final MessageStore messages;
    private final TokenStore tokens;
    private final CardTokens cardTokens;
    private final RequestLog requests = new RequestLog();
    private final Faults faults = new Faults();
    private final Javalin app;
    private final Router router;
    private final LongConnectionGateway longConnection;

    private PlatformEmulator(EmulatorConfig config) {
        this.config = config;
        this.tenant = TenantState.withDefaults(config.appVersion(), config.appVersionId(), config.clock());
        this.messages = new MessageStore(config.clock(), config.appId());
        this.tokens = new TokenStore(config.clock(), config.tokenTtlSeconds());
        this.cardTokens = new CardTokens(config.clock());
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            // the clients ping every PingInterval (120 s by default): Jetty's 30 s idle timeout would cut them off
            cfg.jetty.modifyWebSocketServletFactory(ws -> {
                ws.setIdleTimeout(Duration.ofMinutes(10));
                ws.setMaxBinaryMessageSize(1 << 20);
            });
        });
        this.router = new Router(app, tokens, requests, tenant, config.appId());
        app.before(ctx -> {
            String logId = Envelope.newLogId(config.clock());
            ctx.attribute(Envelope.LOG_ID_ATTR, logId);
            ctx.header(Envelope.LOG_ID_HEADER, logId);
            if (!ctx.path().startsWith("/open-apis/auth/")) faults.apply(ctx);
        });
        app.exception(ApiException.class, (e, ctx) -> Envelope.error(ctx, e));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("emulator endpoint failed: {} {}", ctx.method(), ctx.path(), e);
            Envelope.error(ctx, new ApiException(500, 5000, "Internal Error", null));
        });
        app.error(404, this::unmatched);
        new AuthApi(config, tokens).register(router);
        new ApplicationApi(config, tenant).register(router);
        new ApprovalApi(tenant).register(router);
        new ImApi(config, messages).register(router);
        new CardApi(cardTokens, messages).register(router);
        this.longConnection = new LongConnectionGateway(this);
        longConnection.register(app, router);
    }

    public static PlatformEmulator start() {
        return start(EmulatorConfig.defaults());
    }

    public static PlatformEmulator start(EmulatorConfig config) {
        PlatformEmulator e = new PlatformEmulator(config);
        e.app.start("127.0.0.1", 0);
        // like a real server or gateway, close keep-alive connections that sat idle (applies to new connections)
        for (var c : e.app.jettyServer().server().getConnectors()) {
            if (c instanceof AbstractConnector a) a.setIdleTimeout(config.idleTimeout().toMillis());
        }
        return e;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public int port() {
        return app.port();
    }

    public EmulatorConfig config() {
        return config;
    }

    /** The long-connection gateway (endpoint and WebSocket) on this emulator's port. */
    public LongConnectionGateway longConnection() {
        return longConnection;
    }

    /** Latency and failure switches. */
    public Faults faults() {
        return faults;
    }

    public TenantState tenant() {
        return tenant;
    }

    public MessageStore im() {
        return messages;
    }

    /** The tokens handed out with card callbacks (for delayed updates). */
    CardTokens cardTokens() {
        return cardTokens;
    }

    public List<SentMessage> messages() {
        return messages.sent();
    }

    public void clearMessages() {
        messages.clearLog();
    }

    public int appliesUsed() {
        return tenant.appliesUsed();
    }

    /** Invalidates every token issued so far; the next call with one gets 99991663. */
    public void expireAllTokens() {
        tokens.expireAll();
    }

    /** Calls received by one endpoint, e.g. {@code calls("POST", "/open-apis/application/v6/scopes/apply")}. */
    public int calls(String method, String pathTemplate) {
        return requests.get(RequestLog.key(method, pathTemplate));
    }

    public int applyCalls() {
        return calls("POST", ApplicationApi.SCOPES_APPLY);
    }

    public Map<String, Integer> calls() {
        return requests.snapshot();
    }

    public void resetCalls() {
        requests.reset();
    }

    /** Connections clients hold open to the emulator now (keep-alive ones included, until the idle timeout closes them). */
    public int openConnections() {
        int n = 0;
        for (var c : app.jettyServer().server().getConnectors()) n += c.getConnectedEndPoints().size();
        return n;
    }

    @Override
    public void close() {
        longConnection.close();
        app.stop();
    }

    private void unmatched(Context ctx) {
        if (ctx.method().name().equals("POST") && EMPTY_APPROVAL_CODE.matcher(ctx.path()).matches()) {
            router.authorize(ctx);
            throw ApiException.bad(TenantState.APPROVAL_PARAM_INVALID);
        }
        Envelope.notFound(ctx);
    }
}
