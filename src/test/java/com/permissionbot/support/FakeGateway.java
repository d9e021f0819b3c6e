package com.permissionbot.support;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.AppInfo;
import com.permissionbot.feishu.AppVersion;
import com.permissionbot.feishu.BotIdentity;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.ScopeGrant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted platform: a scope table, the next answers of apply, send, reply, update and the approval subscribe APIs,
 * the messages the bot said (with the platform's uuid de-duplication of sends), and call counters.
 */
public class FakeGateway implements FeishuGateway {
    public final AtomicInteger listCalls = new AtomicInteger();
    public final AtomicInteger applyCalls = new AtomicInteger();
    /** Calls of the applications API (app info) and of the app_versions API. */
    public final AtomicInteger infoCalls = new AtomicInteger();
    public final AtomicInteger versionCalls = new AtomicInteger();
    /** The most apply calls that were in flight at once. */
    public final AtomicInteger maxApplyInFlight = new AtomicInteger();
    private final AtomicInteger applyInFlight = new AtomicInteger();

    private final Map<String, Boolean> scopes = new LinkedHashMap<>();
    private final List<PlatformResult<Void>> applyAnswers = new ArrayList<>();
    private PlatformResult<List<ScopeGrant>> listFailure;
    private final Map<String, String> versions = new LinkedHashMap<>(Map.of("oav_1", "1.0.0"));
    private final Map<String, Integer> levels = new LinkedHashMap<>();
    private String onlineVersionId = "oav_1";
    private PlatformResult<AppInfo> infoFailure;
    private PlatformResult<AppVersion> versionFailure;
    private volatile long applyDelayMillis;

    public synchronized FakeGateway scope(String name, boolean granted) {
        scopes.put(name, granted);
        return this;
    }

    public synchronized void grantAll() {
        scopes.replaceAll((k, v) -> true);
    }

    /** The next apply calls answer these, in order; after them every apply succeeds. */
    @SafeVarargs
    public final synchronized FakeGateway applyAnswers(PlatformResult<Void>... answers) {
        applyAnswers.addAll(List.of(answers));
        return this;
    }

    public synchronized void listFails(PlatformResult<List<ScopeGrant>> r) {
        listFailure = r;
    }

    /** Publishes a new online version (1.0.0 is online at first); returns its id. */
    public synchronized String publish(String version) {
        onlineVersionId = "oav_" + (versions.size() + 1);
        versions.put(onlineVersionId, version);
        return onlineVersionId;
    }

    /** The sensitivity level the applications API gives a scope (unset: the API leaves it out). */
    public synchronized FakeGateway level(String scope, int level) {
        levels.put(scope, level);
        return this;
    }

    /** The applications API answers this from now on (null: answers again). */
    public synchronized void appInfoFails(PlatformResult<AppInfo> r) {
        infoFailure = r;
    }

    /** The app_versions API answers this from now on (null: answers again). */
    public synchronized void versionFails(PlatformResult<AppVersion> r) {
        versionFailure = r;
    }

    public void applyTakes(Duration d) {
        applyDelayMillis = d.toMillis();
    }

    public static <T> PlatformResult<T> ok(T value) {
        return new PlatformResult<>(0, "success", "log-ok", 200, null, value);
    }

    public static <T> PlatformResult<T> fail(int code, int http) {
        return new PlatformResult<>(code, "code " + code, "log-" + code, http, null, null);
    }

    public static <T> PlatformResult<T> rateLimited(Duration retryAfter) {
        return new PlatformResult<>(PlatformResult.RATE_LIMITED, "request trigger frequency limit", "log-429", 429, retryAfter, null);
    }

    @Override
    public synchronized PlatformResult<List<ScopeGrant>> listScopes() {
        listCalls.incrementAndGet();
        if (listFailure != null) return listFailure;
        List<ScopeGrant> out = new ArrayList<>();
        scopes.forEach((k, v) -> out.add(new ScopeGrant(k, v)));
        return ok(out);
    }

    @Override
    public PlatformResult<Void> applyScopes() {
        applyCalls.incrementAndGet();
        maxApplyInFlight.accumulateAndGet(applyInFlight.incrementAndGet(), Math::max);
        try {
            if (applyDelayMillis > 0) Thread.sleep(applyDelayMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            applyInFlight.decrementAndGet();
        }
        synchronized (this) {
            return applyAnswers.isEmpty() ? ok(null) : applyAnswers.remove(0);
        }
    }

    @Override
    public synchronized PlatformResult<AppInfo> appInfo() {
        infoCalls.incrementAndGet();
        return infoFailure != null ? infoFailure : ok(new AppInfo(onlineVersionId, levels));
    }

    @Override
    public synchronized PlatformResult<AppVersion> appVersion(String versionId) {
        versionCalls.incrementAndGet();
        if (versionFailure != null) return versionFailure;
        String v = versions.get(versionId);
        return v == null ? fail(210507, 400) : ok(new AppVersion(v, versionId));
    }

    /** One card the bot sent: kind is reply, send or update; {@code target} the message or chat it went to. */
    public record Said(String kind, String target, String messageId, Card card) {}

    private final List<PlatformResult<String>> replyAnswers = new ArrayList<>();

    /** The next replies fail with these, in order (a failed reply says nothing). */
    @SafeVarargs
    public final FakeGateway replyFails(PlatformResult<String>... answers) {
        synchronized (replyAnswers) {
            replyAnswers.addAll(List.of(answers));
        }
        return this;
    }

    /** Everything the bot said, in order. */
    public final List<Said> said = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger messageIds = new AtomicInteger();

    @Override
    public PlatformResult<String> replyCard(String messageId, Card card, String uuid) {
        synchronized (replyAnswers) {
            if (!replyAnswers.isEmpty()) return replyAnswers.remove(0);
        }
        String id = "om_bot_" + messageIds.incrementAndGet();
        said.add(new Said("reply", messageId, id, card));
        return ok(id);
    }

    private final List<PlatformResult<String>> sendAnswers = new ArrayList<>();
    private final List<PlatformResult<Void>> updateAnswers = new ArrayList<>();
    private final java.util.Map<String, String> uuids = new java.util.HashMap<>();

    /** The next sends fail with these, in order (a failed send says nothing). */
    @SafeVarargs
    public final synchronized FakeGateway sendFails(PlatformResult<String>... answers) {
        sendAnswers.addAll(List.of(answers));
        return this;
    }

    /** The next updates fail with these, in order. */
    @SafeVarargs
    public final synchronized FakeGateway updateFails(PlatformResult<Void>... answers) {
        updateAnswers.addAll(List.of(answers));
        return this;
    }

    /**
     * Like the platform, a uuid repeated within the hour returns the first message; see
     * https://open.feishu.cn/document/server-docs/im-v1/message/create
     */
    @Override
    public synchronized PlatformResult<String> sendCard(String chatId, Card card, String uuid) {
        if (!sendAnswers.isEmpty()) return sendAnswers.remove(0);
        if (uuid != null && uuids.containsKey(uuid)) return ok(uuids.get(uuid));
        String id = "om_bot_" + messageIds.incrementAndGet();
        said.add(new Said("send", chatId, id, card));
        if (uuid != null) uuids.put(uuid, id);
        return ok(id);
    }

    @Override
    public synchronized PlatformResult<Void> updateCard(String messageId, Card card) {
        if (!updateAnswers.isEmpty()) return updateAnswers.remove(0);
        said.add(new Said("update", messageId, messageId, card));
        return ok(null);
    }

    /** What the bot sent, replied or updated, of one kind ("send", "update", "reply"). */
    public List<Said> said(String kind) {
        synchronized (said) {
            return said.stream().filter(s -> s.kind().equals(kind)).toList();
        }
    }

    // ---- approval subscriptions: the next answers of each, call counters, and which codes are subscribed

    public final AtomicInteger subscribeCalls = new AtomicInteger();
    public final AtomicInteger unsubscribeCalls = new AtomicInteger();
    public final List<String> subscribed = new ArrayList<>();
    private final List<PlatformResult<Void>> subscribeAnswers = new ArrayList<>();
    private final List<PlatformResult<Void>> unsubscribeAnswers = new ArrayList<>();

    /** The next subscribe calls answer these, in order; after them each call subscribes (1390007 if it already was). */
    @SafeVarargs
    public final synchronized FakeGateway subscribeAnswers(PlatformResult<Void>... answers) {
        subscribeAnswers.addAll(List.of(answers));
        return this;
    }

    @SafeVarargs
    public final synchronized FakeGateway unsubscribeAnswers(PlatformResult<Void>... answers) {
        unsubscribeAnswers.addAll(List.of(answers));
        return this;
    }

    /** https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe */
    @Override
    public synchronized PlatformResult<Void> subscribeApproval(String approvalCode) {
        subscribeCalls.incrementAndGet();
        if (!subscribeAnswers.isEmpty()) return subscribeAnswers.remove(0);
        if (subscribed.contains(approvalCode)) return fail(1390007, 400);
        subscribed.add(approvalCode);
        return ok(null);
    }

    @Override
    public synchronized PlatformResult<Void> unsubscribeApproval(String approvalCode) {
        unsubscribeCalls.incrementAndGet();
        if (!unsubscribeAnswers.isEmpty()) return unsubscribeAnswers.remove(0);
        return subscribed.remove(approvalCode) ? ok(null) : fail(1390007, 400);
    }

    @Override
    public PlatformResult<BotIdentity> botIdentity() {
        PlatformResult<BotIdentity> b = botAnswer;
        return b != null ? b : ok(new BotIdentity("ou_bot", "Permission Bot"));
    }

    /** The platform's clock, as its Date header would show it (null: no header). */
    public volatile java.util.function.Supplier<java.time.Instant> platformClock = () -> null;
    /** When set, what the token endpoint answers (a wrong secret: {@code fail(10014, 400)}). */
    public volatile PlatformResult<java.time.Instant> tokenAnswer;
    /** When set, what bot/v3/info answers. */
    public volatile PlatformResult<BotIdentity> botAnswer;
    public final AtomicInteger tokenCalls = new AtomicInteger();

    @Override
    public PlatformResult<java.time.Instant> freshToken() {
        tokenCalls.incrementAndGet();
        PlatformResult<java.time.Instant> t = tokenAnswer;
        return t != null ? t : ok(platformClock.get());
    }
}
