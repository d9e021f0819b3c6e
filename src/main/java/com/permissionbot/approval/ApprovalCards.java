package com.permissionbot.approval;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.cards.Markdown;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.ApprovalStatusChange;
import com.permissionbot.store.ApprovalSubscription;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The approval cards: one per subscribe outcome, unsubscribe, the chat's subscriptions, and the status card of an
 * approval instance. Times are shown in Beijing time (zh_cn) and UTC (en_us). The missing-scope card carries the
 * Apply button of the scope cards ({@code {action:"apply", version, nonce}}).
 */
public final class ApprovalCards {
    public static final String INVALID_CODE = "approval_invalid_code";
    public static final String SUBSCRIBED = "approval_subscribed";
    public static final String PARAM_INVALID = "approval_param_invalid";
    public static final String NOT_FOUND = "approval_not_found";
    public static final String SERVICE_ERROR = "approval_service_error";
    public static final String MISSING_SCOPE = "approval_missing_scope";
    public static final String RATE_LIMITED = "approval_rate_limited";
    public static final String FAILED = "approval_failed";
    public static final String UNSUBSCRIBED = "approval_unsubscribed";
    public static final String NOT_SUBSCRIBED = "approval_not_subscribed";
    public static final String SUBSCRIPTIONS = "approval_subscriptions";
    public static final String INSTANCE = "approval_instance";
    /** Every approval template, for {@link CardRenderer#TEMPLATES}. */
    public static final List<String> TEMPLATES = List.of(INVALID_CODE, SUBSCRIBED, PARAM_INVALID, NOT_FOUND, SERVICE_ERROR,
            MISSING_SCOPE, RATE_LIMITED, FAILED, UNSUBSCRIBED, NOT_SUBSCRIBED, SUBSCRIPTIONS, INSTANCE);

    /**
     * The scopes the subscribe API accepts, any one of them; see
     * https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe
     */
    public static final List<String> SUBSCRIBE_SCOPES = List.of("approval:approval", "approval:definition");
    /** History lines shown on a status card at most (the newest). */
    public static final int HISTORY_SHOWN = 20;
    /** Subscriptions listed on one card at most. */
    public static final int LIST_SHOWN = 50;

    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);
    private static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");
    private static final Pattern SCOPE_LIST = Pattern.compile("\\[([^\\[\\]]{1,500})]");
    private static final Pattern SCOPE_NAME = Pattern.compile("[a-z][a-z0-9_.:-]{1,100}");

    private final CardRenderer renderer;

    public ApprovalCards(CardRenderer renderer) {
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** What the user typed after the command is not an approval code (or nothing was typed). */
    public Card invalidCode(String given) {
        String g = given == null ? "" : given.strip();
        return renderer.render(INVALID_CODE, Vars.of().text("given", g).flag("has_given", !g.isEmpty())
                .number("min", ApprovalCode.MIN_LENGTH).number("max", ApprovalCode.MAX_LENGTH)
                .text("example", ApprovalCode.EXAMPLE));
    }

    /**
     * The card for a subscribe outcome other than {@link SubscribeOutcome.Kind#MISSING_SCOPE} (which needs the
     * scope diagnosis, see {@link #missingScope}).
     */
    public Card subscribed(SubscribeOutcome o) {
        Vars v = Vars.of().text("approval_code", o.approvalCode()).number("code", o.code()).text("msg", dash(o.msg()))
                .text("log_id", dash(o.logId()));
        return switch (o.kind()) {
            case SUBSCRIBED, ALREADY_SUBSCRIBED -> {
                ApprovalSubscription e = o.earlier();
                v.flag("existed", o.kind() == SubscribeOutcome.Kind.ALREADY_SUBSCRIBED && e == null)
                        .flag("already_here", e != null)
                        .trusted("since_zh", e == null ? "" : beijing(e.subscribedAt(), MINUTE))
                        .trusted("since_en", e == null ? "" : utc(e.subscribedAt(), MINUTE))
                        .person("by", e == null ? "" : e.subscribedBy());
                yield renderer.render(SUBSCRIBED, v);
            }
            case INVALID_CODE -> invalidCode(o.approvalCode());
            case PARAM_INVALID -> renderer.render(PARAM_INVALID, v);
            case NOT_FOUND -> renderer.render(NOT_FOUND, v);
            case SERVICE_ERROR -> renderer.render(SERVICE_ERROR, v.number("tries", o.tries()));
            case RATE_LIMITED -> {
                Duration wait = o.retryAfter();
                boolean hasWait = wait != null && !wait.isNegative() && !wait.isZero();
                yield renderer.render(RATE_LIMITED, v.number("seconds", hasWait ? (wait.toMillis() + 999) / 1000 : 0)
                        .flag("has_wait", hasWait));
            }
            case UNCERTAIN, FAILED, MISSING_SCOPE -> renderer.render(FAILED, v.flag("uncertain", o.kind() == SubscribeOutcome.Kind.UNCERTAIN)
                    .number("tries", o.tries()));
        };
    }

    /**
     * 99991672 as a diagnosis: each scope the platform named (else the two the subscribe API accepts)
     * as granted, declared but not granted, or not declared; the Apply button when a declared scope is missing and
     * the version has applications left. {@code status} may be null when the scopes list could not be read.
     */
    public Card missingScope(SubscribeOutcome o, ScopeStatus status, Quota q, String nonce) {
        Objects.requireNonNull(nonce, "nonce");
        List<String> required = requiredScopes(o.msg());
        Map<String, Boolean> declared = status == null ? Map.of()
                : status.scopes().stream().collect(Collectors.toMap(ScopeGrant::name, ScopeGrant::granted, (a, b) -> a || b));
        List<String> zh = new ArrayList<>();
        List<String> en = new ArrayList<>();
        boolean someGranted = false;
        boolean someMissing = false;
        for (String s : required) {
            Boolean granted = declared.get(s);
            if (status == null) {
                zh.add(s);
                en.add(s);
            } else if (granted == null) {
                zh.add(s + "：应用未声明此权限");
                en.add(s + ": not declared by the app");
            } else if (granted) {
                someGranted = true;
                zh.add(s + "：已开通");
                en.add(s + ": granted");
            } else {
                someMissing = true;
                zh.add(s + "：已声明，未开通");
                en.add(s + ": declared, not granted");
            }
        }
        boolean applicable = (status == null || someMissing) && !someGranted;
        Vars v = Vars.of()
                .text("approval_code", o.approvalCode())
                .number("code", o.code())
                .text("log_id", dash(o.logId()))
                .list("scopes_zh", zh)
                .list("scopes_en", en)
                .text("version", shown(q.version()))
                .trusted("version_value", q.version() == null ? "" : q.version())
                .trusted("nonce", nonce)
                .number("used", q.shown())
                .flag("status_known", status != null)
                .flag("some_granted", someGranted)
                .flag("none_declared", status != null && !someGranted && !someMissing)
                .flag("can_apply", applicable && q.left() > 0)
                .flag("used_up", applicable && q.left() == 0);
        return renderer.render(MISSING_SCOPE, v);
    }

    public Card unsubscribed(UnsubscribeOutcome o) {
        if (o.kind() == UnsubscribeOutcome.Kind.INVALID_CODE) return invalidCode(o.approvalCode());
        Vars v = Vars.of().text("approval_code", o.approvalCode());
        if (o.kind() == UnsubscribeOutcome.Kind.NOT_SUBSCRIBED) return renderer.render(NOT_SUBSCRIBED, v);
        Duration wait = o.retryAfter();
        return renderer.render(UNSUBSCRIBED, v
                .number("others", o.othersLeft())
                .flag("others_left", o.othersLeft() > 0)
                .flag("in_config", o.inConfig() && o.othersLeft() == 0)
                .flag("platform_off", o.platformCalled() && !o.platformFailed())
                .flag("platform_failed", o.platformFailed())
                .flag("has_wait", o.platformFailed() && wait != null && !wait.isNegative() && !wait.isZero())
                .number("seconds", wait == null ? 0 : (wait.toMillis() + 999) / 1000)
                .number("code", o.code())
                .text("msg", dash(o.msg()))
                .text("log_id", dash(o.logId())));
    }

    /** The chat's subscriptions, oldest first, each with when and by whom. */
    public Card subscriptions(List<ApprovalSubscription> subs) {
        List<ApprovalSubscription> shown = subs.subList(0, Math.min(subs.size(), LIST_SHOWN));
        return renderer.render(SUBSCRIPTIONS, Vars.of()
                .number("count", subs.size())
                .flag("empty", subs.isEmpty())
                .flag("has_more", subs.size() > shown.size())
                .number("more", subs.size() - shown.size())
                .markdownList("list_zh", lines(shown, s -> Markdown.escape(s.approvalCode() + "（" + beijing(s.subscribedAt(), MINUTE) + "，")
                        + Markdown.person(s.subscribedBy()) + Markdown.escape("）")))
                .markdownList("list_en", lines(shown, s -> Markdown.escape(s.approvalCode() + " (since " + utc(s.subscribedAt(), MINUTE) + ", by ")
                        + Markdown.person(s.subscribedBy()) + Markdown.escape(")"))));
    }

    /**
     * The status card of one instance: the status with the latest operate_time is current; the history is listed
     * oldest first (the newest {@link #HISTORY_SHOWN}).
     */
    public Card instance(String approvalCode, String instanceCode, List<ApprovalStatusChange> history) {
        if (history.isEmpty()) throw new IllegalArgumentException("an instance card needs at least one status");
        ApprovalStatusChange current = history.get(history.size() - 1);
        ApprovalStatus s = ApprovalStatus.of(current.status());
        List<ApprovalStatusChange> shown = history.subList(Math.max(0, history.size() - HISTORY_SHOWN), history.size());
        return renderer.render(INSTANCE, Vars.of()
                .trusted("status_zh", s.zh)
                .trusted("status_en", s.en)
                .trusted("colour", s.colour)
                .text("status_raw", current.status())
                .flag("unknown", s == ApprovalStatus.UNKNOWN)
                .trusted("at_zh", beijing(current.at(), SECOND))
                .trusted("at_en", utc(current.at(), SECOND))
                .text("approval_code", approvalCode)
                .text("instance_code", instanceCode)
                .list("history_zh", lines(shown, h -> beijing(h.at(), SECOND) + "  " + label(h.status(), true)))
                .list("history_en", lines(shown, h -> utc(h.at(), SECOND) + "  " + label(h.status(), false)))
                .flag("has_older", history.size() > shown.size())
                .number("older", history.size() - shown.size()));
    }

    /** The scopes a 99991672 message names ({@code "... required: [a, b]..."}), else {@link #SUBSCRIBE_SCOPES}. */
    static List<String> requiredScopes(String msg) {
        if (msg != null) {
            Matcher m = SCOPE_LIST.matcher(msg);
            if (m.find()) {
                List<String> out = new ArrayList<>();
                for (String part : m.group(1).split(",")) {
                    String s = part.trim();
                    if (SCOPE_NAME.matcher(s).matches() && !out.contains(s)) out.add(s);
                }
                if (!out.isEmpty()) return out;
            }
        }
        return SUBSCRIBE_SCOPES;
    }

    private static String label(String raw, boolean zh) {
        ApprovalStatus s = ApprovalStatus.of(raw);
        if (s != ApprovalStatus.UNKNOWN) return zh ? s.zh : s.en;
        return zh ? s.zh + "（" + raw + "）" : s.en + " (" + raw + ")";
    }

    private static <T> List<String> lines(List<T> items, Function<T, String> line) {
        return items.stream().map(line).toList();
    }

    static String beijing(Instant at, DateTimeFormatter f) {
        return f.format(at.atZone(BEIJING)) + "（北京时间）";
    }

    static String utc(Instant at, DateTimeFormatter f) {
        return f.format(at.atZone(ZoneOffset.UTC)) + " UTC";
    }

    private static String shown(String version) {
        return version == null || version.isBlank() ? "?" : version;
    }

    private static String dash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }
}
