package com.permissionbot.feishu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.lark.oapi.Client;
import com.lark.oapi.core.exception.ObtainAccessTokenException;
import com.lark.oapi.core.request.SelfBuiltTenantAccessTokenReq;
import com.lark.oapi.core.response.BaseResponse;
import com.lark.oapi.core.response.RawResponse;
import com.lark.oapi.core.token.AccessTokenType;
import com.lark.oapi.service.application.v6.model.GetApplicationAppVersionReq;
import com.lark.oapi.service.application.v6.model.GetApplicationReq;
import com.lark.oapi.service.approval.v4.model.SubscribeApprovalReq;
import com.lark.oapi.service.approval.v4.model.UnsubscribeApprovalReq;
import com.lark.oapi.service.im.v1.model.CreateMessageReq;
import com.lark.oapi.service.im.v1.model.CreateMessageReqBody;
import com.lark.oapi.service.im.v1.model.PatchMessageReq;
import com.lark.oapi.service.im.v1.model.PatchMessageReqBody;
import com.lark.oapi.service.im.v1.model.ReplyMessageReq;
import com.lark.oapi.service.im.v1.model.ReplyMessageReqBody;
import com.permissionbot.cards.Card;
import com.permissionbot.config.BotConfig;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link FeishuGateway} over the official SDK {@link Client}, adding what the SDK lacks (oapi-sdk-java
 * {@code core/utils/OKHttps.java}, {@code core/token/TokenManager.java}): real connect/read/call timeouts and
 * connections that survive a quiet spell ({@link PlatformHttp}), evict-and-call-again once on an invalid token, and
 * no calls to an API while the platform's rate-limit reset has not passed.
 */
public final class SdkFeishuGateway implements FeishuGateway {
    private static final Logger log = LoggerFactory.getLogger(SdkFeishuGateway.class);
    private static final ObjectMapper JSON = Wire.JSON;
    /** https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
    static final Set<Integer> INVALID_TOKEN = Set.of(99991663, 99991661, 99991664, 99991671);

    private static final Pattern TOKEN_FAILURE = Pattern.compile("code:(-?\\d{1,10}),msg:(.*)$", Pattern.DOTALL);

    private final Client client;
    private final String appId;
    private final String appSecret;
    private final TokenCache tokens = new TokenCache();
    private final Clock clock;
    /** Per API, the instant before which the platform asked us not to call again. */
    private final Map<String, Instant> blockedUntil = new ConcurrentHashMap<>();

    public SdkFeishuGateway(BotConfig.Feishu cfg, Clock clock) {
        this.clock = clock;
        this.appId = cfg.appId();
        this.appSecret = cfg.appSecret();
        this.client = Client.newBuilder(cfg.appId(), cfg.appSecret())
                .openBaseUrl(cfg.baseUrl())
                .tokenCache(tokens)
                .httpTransport(new PlatformHttp(cfg))
                .build();
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message/reply */
    @Override
    public PlatformResult<String> replyCard(String messageId, Card card, String uuid) {
        var body = ReplyMessageReqBody.newBuilder().msgType("interactive").content(card.toJson()).uuid(uuid).build();
        return typed("im.reply", () -> client.im().v1().message().reply(
                        ReplyMessageReq.newBuilder().messageId(messageId).replyMessageReqBody(body).build()),
                r -> r.getData() == null ? null : r.getData().getMessageId());
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message/create */
    @Override
    public PlatformResult<String> sendCard(String chatId, Card card, String uuid) {
        var body = CreateMessageReqBody.newBuilder().receiveId(chatId).msgType("interactive").content(card.toJson()).uuid(uuid).build();
        return typed("im.send", () -> client.im().v1().message().create(
                        CreateMessageReq.newBuilder().receiveIdType("chat_id").createMessageReqBody(body).build()),
                r -> r.getData() == null ? null : r.getData().getMessageId());
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message-card/patch */
    @Override
    public PlatformResult<Void> updateCard(String messageId, Card card) {
        var body = PatchMessageReqBody.newBuilder().content(card.toJson()).build();
        return typed("im.patch", () -> client.im().v1().message().patch(
                PatchMessageReq.newBuilder().messageId(messageId).patchMessageReqBody(body).build()), r -> null);
    }

    /** https://open.feishu.cn/document/application-v6/scope/list */
    @Override
    public PlatformResult<List<ScopeGrant>> listScopes() {
        return typed("scopes.list", () -> client.application().v6().scope().list(), r -> {
            List<ScopeGrant> out = new ArrayList<>();
            if (r.getData() != null && r.getData().getScopes() != null) {
                for (var s : r.getData().getScopes()) {
                    out.add(new ScopeGrant(s.getScopeName(), Integer.valueOf(1).equals(s.getGrantStatus())));
                }
            }
            return out;
        });
    }

    /**
     * https://open.feishu.cn/document/application-v6/scope/apply : sent again only when the first call provably never
     * left (its connection could not be opened); any other failure is the caller's "uncertain" outcome.
     */
    @Override
    public PlatformResult<Void> applyScopes() {
        return typed("scopes.apply", () -> {
            try {
                return client.application().v6().scope().apply();
            } catch (Exception e) {
                if (!PlatformHttp.neverSent(e)) throw e;
                log.info("platform call scopes.apply could not connect ({}); it never left, so it is sent once more", e.toString());
                return client.application().v6().scope().apply();
            }
        }, r -> null);
    }

    /** https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe */
    @Override
    public PlatformResult<Void> subscribeApproval(String code) {
        return typed("approval.subscribe", () -> client.approval().v4().approval().subscribe(
                SubscribeApprovalReq.newBuilder().approvalCode(code).build()), r -> null);
    }

    /** https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/unsubscribe */
    @Override
    public PlatformResult<Void> unsubscribeApproval(String code) {
        return typed("approval.unsubscribe", () -> client.approval().v4().approval().unsubscribe(
                UnsubscribeApprovalReq.newBuilder().approvalCode(code).build()), r -> null);
    }

    /** https://open.feishu.cn/document/client-docs/bot-v3/obtain-bot-info (no typed call in the SDK) */
    @Override
    public PlatformResult<BotIdentity> botIdentity() {
        return call("bot.info", () -> {
            RawResponse raw = client.get("/open-apis/bot/v3/info", null, AccessTokenType.Tenant);
            JsonNode body = JSON.readTree(raw.getBody() == null ? new byte[0] : raw.getBody());
            JsonNode bot = body.path("bot");
            BotIdentity id = bot.isObject() ? new BotIdentity(bot.path("open_id").asText(""), bot.path("app_name").asText("")) : null;
            return new Answer<>(body.path("code").asInt(PlatformResult.NETWORK), body.path("msg").asText(""), raw, id);
        });
    }

    /**
     * https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal
     * through the SDK's own token request, which leaves the token cache alone.
     */
    @Override
    public PlatformResult<Instant> freshToken() {
        return typed("auth.token", () -> client.ext().getTenantAccessTokenBySelfBuiltApp(SelfBuiltTenantAccessTokenReq.newBuilder()
                .appId(appId).appSecret(appSecret).build()), r -> dateOf(r.getRawResponse()));
    }

    /** https://open.feishu.cn/document/server-docs/application-v6/application/get ({@code me}: this app) */
    @Override
    public PlatformResult<AppInfo> appInfo() {
        return typed("app.get", () -> client.application().v6().application().get(
                GetApplicationReq.newBuilder().appId("me").lang("zh_cn").build()), r -> {
            var app = r.getData() == null ? null : r.getData().getApp();
            if (app == null) return null;
            Map<String, Integer> levels = new HashMap<>();
            if (app.getScopes() != null) {
                for (var s : app.getScopes()) {
                    if (s.getScope() != null && s.getLevel() != null) levels.put(s.getScope(), s.getLevel());
                }
            }
            return new AppInfo(app.getOnlineVersionId(), levels);
        });
    }

    /** https://open.feishu.cn/document/server-docs/application-v6/application/get-2 */
    @Override
    public PlatformResult<AppVersion> appVersion(String versionId) {
        return typed("app.version", () -> client.application().v6().applicationAppVersion().get(
                        GetApplicationAppVersionReq.newBuilder().appId("me").versionId(versionId).lang("zh_cn").build()),
                r -> r.getData() == null || r.getData().getAppVersion() == null ? null
                        : new AppVersion(r.getData().getAppVersion().getVersion(), r.getData().getAppVersion().getVersionId()));
    }

    /** One call to the platform that may throw. */
    @FunctionalInterface
    private interface Attempt<T> {
        Answer<T> run() throws Exception;
    }

    /** A call's answer before the retry policy looks at it. */
    private record Answer<T>(int code, String msg, RawResponse raw, T value) {}

    private <R extends BaseResponse<?>, T> PlatformResult<T> typed(String api, SdkCall<R> call, Function<R, T> value) {
        return call(api, () -> {
            R r = call.run();
            return new Answer<>(r.getCode(), r.getMsg(), r.getRawResponse(), r.getCode() == 0 ? value.apply(r) : null);
        });
    }

    /** A typed SDK call. */
    @FunctionalInterface
    private interface SdkCall<R> {
        R run() throws Exception;
    }

    /**
     * One call, plus the protocol's own repair: an invalid-token answer evicts the cached token and the call is made
     * once more with a fresh one. Repeating failed calls is {@link RetryPolicy}'s job, not this class's.
     */
    private <T> PlatformResult<T> call(String api, Attempt<T> attempt) {
        Instant blocked = blockedUntil.get(api);
        Instant now = clock.instant();
        if (blocked != null && now.isBefore(blocked)) {
            return new PlatformResult<>(PlatformResult.RATE_LIMITED, "rate limited (waiting for the platform's reset)", "", 429,
                    Duration.between(now, blocked), null);
        }
        for (int tries = 1; ; tries++) {
            Answer<T> a;
            long started = System.nanoTime();
            try {
                a = attempt.run();
            } catch (ObtainAccessTokenException e) {
                // the SDK fetched a token first and the platform refused it: nothing of this call was sent
                PlatformResult<T> refused = tokenRefused(e);
                Metrics.counter("bot.platform.errors", "api", api, "code", String.valueOf(refused.code())).increment();
                log.warn("platform call {} not made: the platform refused the app's credentials (code {} '{}')", api,
                        refused.code(), refused.msg());
                return refused;
            } catch (Exception e) {
                log.warn("platform call {} got no answer: {}", api, e.toString());
                Metrics.counter("bot.platform.errors", "api", api, "code", "network").increment();
                return PlatformResult.network(e.getClass().getSimpleName());
            } finally {
                Metrics.timer("bot.platform.calls", "api", api).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
            if (a.code() != 0) Metrics.counter("bot.platform.errors", "api", api, "code", String.valueOf(a.code())).increment();
            int status = a.raw() == null ? 0 : a.raw().getStatusCode();
            String logId = a.raw() == null ? "" : nullToEmpty(a.raw().getRequestID());
            if (INVALID_TOKEN.contains(a.code()) && tries == 1) {
                log.info("platform call {} got invalid-token code {}; fetching a new token and calling once more (log_id {})", api, a.code(), logId);
                tokens.evictAll();
                continue;
            }
            Duration retryAfter = null;
            if (a.code() == PlatformResult.RATE_LIMITED || status == 429) {
                retryAfter = resetOf(a.raw());
                blockedUntil.put(api, clock.instant().plus(retryAfter));
                log.warn("platform call {} rate limited; the platform asks for {} s (log_id {})", api, retryAfter.toSeconds(), logId);
            }
            if (a.code() != 0) log.info("platform call {} answered code {} '{}' (HTTP {}, log_id {})", api, a.code(), a.msg(), status, logId);
            return new PlatformResult<>(a.code(), nullToEmpty(a.msg()), logId, status, retryAfter, a.value());
        }
    }

    /**
     * {@code x-ogw-ratelimit-reset} in seconds, 1 s when absent or unreadable; see
     * https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
     */
    private static Duration resetOf(RawResponse raw) {
        if (raw != null && raw.getHeaders() != null) {
            for (var e : raw.getHeaders().entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase("x-ogw-ratelimit-reset") && !e.getValue().isEmpty()) {
                    try {
                        return Duration.ofSeconds(Math.max(0, Long.parseLong(e.getValue().get(0).trim())));
                    } catch (NumberFormatException ignored) {
                        break;
                    }
                }
            }
        }
        return Duration.ofSeconds(1);
    }

    /** The SDK reports a refused token request only as text: {@code "...failure: code:10014,msg:app secret invalid"}. */
    static <T> PlatformResult<T> tokenRefused(ObtainAccessTokenException e) {
        Matcher m = TOKEN_FAILURE.matcher(String.valueOf(e.getMessage()));
        if (!m.find()) return new PlatformResult<>(PlatformResult.CREDENTIALS_REFUSED, "token request refused", "", 0, null, null);
        return new PlatformResult<>(Integer.parseInt(m.group(1)), m.group(2), "", 0, null, null);
    }

    /** The {@code Date} header, or null. */
    static Instant dateOf(RawResponse raw) {
        if (raw == null || raw.getHeaders() == null) return null;
        for (var e : raw.getHeaders().entrySet()) {
            if ("date".equalsIgnoreCase(e.getKey()) && e.getValue() != null && !e.getValue().isEmpty()) {
                try {
                    return ZonedDateTime.parse(e.getValue().get(0), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                } catch (DateTimeParseException unreadable) {
                    return null;
                }
            }
        }
        return null;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
