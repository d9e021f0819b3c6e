package com.permissionbot.feishu;

import com.lark.oapi.core.httpclient.IHttpTransport;
import com.lark.oapi.core.httpclient.OkHttpTransport;
import com.lark.oapi.core.request.RawRequest;
import com.lark.oapi.core.response.RawResponse;
import com.lark.oapi.okhttp.ConnectionPool;
import com.lark.oapi.okhttp.OkHttpClient;
import com.permissionbot.config.BotConfig;

import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * The SDK's HTTP transport, with real timeouts (oapi-sdk-java {@code core/utils/OKHttps.java} sets a call timeout
 * only) and two kinds of connection. Every call but {@code scopes/apply} goes over pooled keep-alive connections that
 * OkHttp retries at once when the server had closed one (a quiet minute is enough: Jetty, gateways and load balancers
 * close idle connections); those calls are reads or carry a uuid, so a repeat is harmless. An apply spends quota, so
 * it always opens a fresh connection and is never repeated by OkHttp; {@link #neverSent} tells the gateway when it
 * provably did not leave.
 */
final class PlatformHttp implements IHttpTransport {
    /** https://open.feishu.cn/document/application-v6/scope/apply */
    static final String APPLY_PATH = "/open-apis/application/v6/scopes/apply";
    /** Pooled connections idle longer than this are closed by us, before common server idle timeouts (30 s and up). */
    static final long KEEP_ALIVE_SECONDS = 15;

    private final OkHttpTransport pooled;
    private final OkHttpTransport fresh;

    PlatformHttp(BotConfig.Feishu cfg) {
        OkHttpClient base = new OkHttpClient.Builder()
                .connectTimeout(cfg.connectTimeout())
                .readTimeout(cfg.readTimeout())
                .writeTimeout(cfg.readTimeout())
                .callTimeout(cfg.callTimeout())
                .connectionPool(new ConnectionPool(8, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS))
                .retryOnConnectionFailure(true)
                .build();
        this.pooled = new OkHttpTransport(base);
        this.fresh = new OkHttpTransport(base.newBuilder()
                .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
                .retryOnConnectionFailure(false)
                .build());
    }

    @Override
    public RawResponse execute(RawRequest request) throws Exception {
        return (spendsQuota(request) ? fresh : pooled).execute(request);
    }

    static boolean spendsQuota(RawRequest r) {
        return "POST".equalsIgnoreCase(r.getHttpMethod()) && r.getReqUrl() != null && r.getReqUrl().contains(APPLY_PATH);
    }

    /**
     * True when a call on a fresh connection failed before the request was written: the connection (TCP or TLS) was
     * never established, so the platform cannot have received it.
     */
    static boolean neverSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
                    || t instanceof SSLHandshakeException) {
                return true;
            }
            if (t instanceof SocketTimeoutException && String.valueOf(t.getMessage()).contains("connect")) return true;
        }
        return false;
    }
}
