package com.permissionbot.chat;

import com.permissionbot.domain.CardClick;
import com.permissionbot.domain.Reason;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.scopes.ScopeStatus;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The scope intents (missing, status, quota) and buttons (Apply, paging). */
public final class ScopeHandlers implements Feature {
    private static final Logger log = LoggerFactory.getLogger(ScopeHandlers.class);

    static final String MISSING = "(?:which |what )?(?:permissions?|scopes?|perms?) (?:are |is )?(?:missing|lacking|not granted)"
            + "|missing (?:permissions?|scopes?|perms?)|what'?s missing|(?:缺少|缺了|还缺|缺)(?:哪些|什么|哪个)?(?:权限|scope)(?:呢|吗)?"
            + "|(?:哪些|什么)权限(?:没有|未)(?:开通|授权)|未开通(?:的)?权限|缺失(?:的)?权限";
    static final String STATUS = "(?:permissions?|scopes?) status|status|all (?:permissions|scopes)|(?:权限|授权)(?:状态|情况|列表)|(?:所有|全部)权限";
    static final String QUOTA = "quota|apply quota|applications? left|how many applications(?: are)? left|额度|申请(?:次数|额度)|剩余(?:次数|额度)|还(?:能|可以)申请几次";

    private final ScopeService scopes;
    private final ScopeCards cards;
    private final ExecutorService executor;
    private final Duration answerWithin;

    /** {@code answerWithin}: how long a click waits for the platform before answering "working" (about 2 s). */
    public ScopeHandlers(ScopeService scopes, ScopeCards cards, ExecutorService executor, Duration answerWithin) {
        this.scopes = scopes;
        this.cards = cards;
        this.executor = executor;
        this.answerWithin = answerWithin;
    }

    @Override
    public void register(Registry r) {
        r.intent("missing", 20, MISSING, new Registry.Help("**缺少哪些权限** — 列出尚未开通的权限，并可一键向管理员申请",
                        "**missing permissions** — the scopes not granted yet, with a button to ask the admin"),
                        c -> missing(c.message().tenantKey(), 1))
                .intent("status", 21, STATUS, new Registry.Help("**权限状态** — 全部权限及其开通状态",
                        "**permission status** — every scope and its status"), c -> status(c.message().tenantKey(), 1))
                .intent("quota", 22, QUOTA, new Registry.Help("**额度** — 本版本已用的申请次数（每个版本每个企业 10 次）",
                        "**quota** — applications used for this version (10 per version per tenant)"),
                        c -> cards.quota(scopes.freshQuota(c.message().tenantKey())))
                .action(ScopeCards.ACTION_APPLY, this::apply)
                .repeatableAction(ScopeCards.ACTION_PAGE, this::page)
                .templates(ScopeCards.TEMPLATES.toArray(String[]::new));
    }

    Card missing(String tenant, int page) {
        PlatformResult<ScopeStatus> s = scopes.status(tenant);
        if (!s.ok()) return cards.listFailed(s.code(), s.msg(), s.logId());
        return cards.missing(s.value(), scopes.quota(tenant), page, nonce());
    }

    Card status(String tenant, int page) {
        PlatformResult<ScopeStatus> s = scopes.status(tenant);
        if (!s.ok()) return cards.listFailed(s.code(), s.msg(), s.logId());
        return cards.status(s.value(), page);
    }

    private CardAnswer page(CardClick c) {
        int page = parsePage(c.value().get("page"));
        Card card = ScopeCards.CARD_STATUS.equals(c.value().get("card")) ? status(c.tenantKey(), page) : missing(c.tenantKey(), page);
        return new CardAnswer("info", "第 " + page + " 页", "Page " + page, card);
    }

    /**
     * Apply: answered within the callback's 3 s; a slow platform gets "working" now and the outcome card later. The
     * reason comes from the missing card's form, or from the value of a Retry that carries it on; it is never logged.
     */
    private CardAnswer apply(CardClick c) {
        String reason = Reason.of(c.form().getOrDefault(ScopeCards.REASON, c.value().get(ScopeCards.REASON)));
        CompletableFuture<CardAnswer> work = CompletableFuture.supplyAsync(() -> outcome(c, reason), executor);
        try {
            return work.get(answerWithin.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException slow) {
            log.info("apply for tenant {} is slow; answering 'working' and updating the card later", c.tenantKey());
            // if no answer ever comes (the process dies, or the work fails), nobody can tell whether Feishu got it
            ApplyOutcome unknown = new ApplyOutcome(ApplyOutcome.Kind.UNCERTAIN, PlatformResult.NETWORK,
                    "no answer from Feishu in time", "", null, List.of(), null);
            CardAnswer fallback = new CardAnswer("warning", "没有等到飞书的答复，详情见卡片。", "No answer from Feishu; see the card.",
                    cards.outcome(unknown, null, nonce(), reason));
            return new CardAnswer("info", "正在向飞书提交申请，结果出来后会更新这张卡片。",
                    "Asking Feishu now; this card will update when the answer arrives.", cards.working()).goingOn(work, fallback);
        } catch (ExecutionException e) {
            throw new IllegalStateException("apply failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private CardAnswer outcome(CardClick c, String reason) {
        ApplyOutcome o = scopes.apply(c.tenantKey(), c.chatId(), c.messageId(), c.operatorOpenId(), reason);
        Metrics.counter("bot.apply.outcomes", "kind", o.kind().name().toLowerCase(), "code", String.valueOf(o.code())).increment();
        Card card = cards.outcome(o, o.quota() == null ? null : o.quota().version(), nonce(), reason);
        return switch (o.kind()) {
            case SUCCESS -> new CardAnswer("success", "已向管理员提交申请。", "Sent to the tenant admin.", card);
            case NOT_ALLOWED -> CardAnswer.notYet("error", "你不在可申请名单中，请联系管理员。", "You are not on the list of people who may apply; ask an admin.");
            // nothing was sent: the same click may run again once the wait is over
            case COOLDOWN -> new CardAnswer("warning", "刚刚已有人申请，它已包含所有未开通的权限。",
                    "An application was made moments ago; it covers every missing scope.", card, null, true);
            case DUPLICATE, NOTHING_TO_APPLY -> new CardAnswer("info", "没有消耗申请次数。", "No application was spent.", card);
            default -> new CardAnswer("warning", "申请未成功，详情见卡片。", "The application did not go through; see the card.", card);
        };
    }

    private static int parsePage(String s) {
        try {
            return Math.max(1, Integer.parseInt(s == null ? "1" : s.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static String nonce() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
