package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.cards.Pages;
import com.permissionbot.scopes.ApplyOutcome;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.ApplyStart;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The scope cards (missing, status, quota, one per apply outcome, working, list failure), filled
 * from domain records. Pages are numbered from 1; out-of-range pages are brought into range. Button values are
 * flat string objects: {@code {action:"apply", version, nonce}} and {@code {action:"page", card, page}}; the missing
 * card's Apply submits a form with a {@code reason} input, and the Apply and Retry buttons of the outcome cards carry
 * that reason on as {@code reason} in their value.
 */
public final class ScopeCards {
    /** Scopes per page at most; a page also holds at most {@link #PAGE_BUDGET_BYTES} of escaped list text. */
    public static final int PAGE_SIZE = 40;
    /** The list is in the card three times (content, zh_cn, en_us): 3 x 6,000 bytes leaves room under 30 KB. */
    public static final int PAGE_BUDGET_BYTES = 6_000;
    /** High-sensitivity scopes named on the success card at most (they are few; this keeps the card under 30 KB). */
    static final int LEFT_OUT_SHOWN = 10;

    /** Every template these cards render: the lists, the quota, "working", and one per apply outcome. */
    public static final List<String> TEMPLATES = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("working", "missing", "all_granted", "status", "quota", "list_failed"),
            java.util.Arrays.stream(ApplyOutcome.Kind.values()).map(ScopeCards::templateFor)).toList();

    public static final String ACTION_APPLY = "apply";
    public static final String ACTION_PAGE = "page";
    public static final String CARD_MISSING = "missing";
    public static final String CARD_STATUS = "status";
    /** The missing card's reason input, and the key of the Apply and Retry values that carry it on. */
    public static final String REASON = "reason";

    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    private final CardRenderer renderer;

    public ScopeCards(CardRenderer renderer) {
        this.renderer = Objects.requireNonNull(renderer);
    }

    /** The template that shows an apply outcome: {@code apply_} and the kind in lower case. */
    public static String templateFor(ApplyOutcome.Kind kind) {
        return "apply_" + kind.name().toLowerCase(Locale.ROOT);
    }

    /** The ungranted scopes with the Apply button; {@code all_granted} when nothing is missing. */
    public Card missing(ScopeStatus s, Quota q, int page, String nonce) {
        Objects.requireNonNull(nonce, "nonce");
        List<String> missing = s.ungranted();
        int granted = s.granted().size();
        if (missing.isEmpty()) return renderer.render("all_granted", Vars.of().number("granted_count", granted));
        Pages pages = Pages.split(missing, PAGE_SIZE, PAGE_BUDGET_BYTES);
        int p = pages.clamp(page);
        Vars v = Vars.of()
                .list("scopes", pages.slice(missing, p))
                .number("missing_count", missing.size())
                .number("granted_count", granted)
                .text("version", shown(q.version()))
                .trusted("version_value", value(q.version()))
                .trusted("nonce", nonce)
                .number("used", q.shown())
                .flag("can_apply", q.left() > 0);
        return renderer.render("missing", pager(v, pages, p));
    }

    /** Every scope, not granted first, then granted; each group sorted by name. */
    public Card status(ScopeStatus s, int page) {
        List<String> missing = s.ungranted();
        List<String> granted = s.granted();
        List<String> all = new ArrayList<>(missing);
        all.addAll(granted);
        Pages pages = Pages.split(all, PAGE_SIZE, PAGE_BUDGET_BYTES);
        int p = pages.clamp(page);
        int from = pages.from(p);
        int to = pages.to(p);
        int split = missing.size();
        List<String> missingHere = all.subList(Math.min(from, split), Math.min(to, split));
        List<String> grantedHere = all.subList(Math.max(from, split), Math.max(to, split));
        Vars v = Vars.of()
                .number("total", all.size())
                .number("missing_count", missing.size())
                .number("granted_count", granted.size())
                .list("missing", missingHere)
                .list("granted", grantedHere)
                .flag("has_missing_here", !missingHere.isEmpty())
                .flag("has_granted_here", !grantedHere.isEmpty())
                .flag("empty", all.isEmpty())
                .flag("has_missing", !missing.isEmpty());
        return renderer.render("status", pager(v, pages, p));
    }

    /**
     * The card that replaces the clicked one; {@code nonce} goes on its Retry button (a fresh click), and the click's
     * {@code reason} (as kept, {@link com.permissionbot.domain.Reason}) is shown and carried on by that button.
     */
    public Card outcome(ApplyOutcome o, String version, String nonce, String reason) {
        String ver = version != null ? version : o.quota() != null ? o.quota().version() : null;
        List<String> swept = o.swept() == null ? List.of() : o.swept();
        // only the success card tells what the application carried from what Feishu left out of it
        boolean success = o.kind() == ApplyOutcome.Kind.SUCCESS;
        List<String> leftOut = success && o.leftOut() != null ? o.leftOut() : List.of();
        List<String> asked = swept.stream().filter(s -> !leftOut.contains(s)).toList();
        List<String> first = Pages.split(asked, PAGE_SIZE, PAGE_BUDGET_BYTES).slice(asked, 1);
        List<String> leftOutShown = leftOut.subList(0, Math.min(LEFT_OUT_SHOWN, leftOut.size()));
        Duration wait = o.retryAfter();
        boolean hasWait = wait != null && !wait.isNegative() && !wait.isZero();
        Vars v = Vars.of()
                .text("version", shown(ver))
                .trusted("version_value", value(ver))
                .number("code", o.code())
                .flag("has_code", o.code() != 0)
                .text("log_id", dash(o.logId()))
                .text("msg", dash(o.msg()))
                .trusted("used", o.quota() == null ? "?" : Integer.toString(o.quota().shown()))
                .number("count", swept.size())
                .list("scopes", first)
                .number("more", asked.size() - first.size())
                .flag("has_scopes", !asked.isEmpty())
                .flag("has_more", asked.size() > first.size())
                .number("asked_count", asked.size())
                .flag("all_asked", !asked.isEmpty() && leftOut.isEmpty())
                .list("left_out", leftOutShown)
                .number("left_out_count", leftOut.size())
                .number("left_out_more", leftOut.size() - leftOutShown.size())
                .flag("has_left_out", !leftOut.isEmpty())
                .flag("has_left_out_more", leftOut.size() > leftOutShown.size())
                .flag("left_out_unknown", success && o.leftOut() == null && !swept.isEmpty())
                .number("seconds", hasWait ? (wait.toMillis() + 999) / 1000 : 0)
                .flag("has_wait", hasWait);
        ApplyStart earlier = o.earlier();
        v.flag("has_earlier", earlier != null)
                .person("earlier_by", earlier == null ? "" : earlier.by())
                .trusted("earlier_at_zh", earlier == null ? "" : SECOND.format(earlier.at().atZone(BEIJING)) + "（北京时间）")
                .trusted("earlier_at_en", earlier == null ? "" : SECOND.format(earlier.at().atZone(ZoneOffset.UTC)) + " UTC");
        Quota newer = o.newer();
        v.flag("has_newer", newer != null)
                .text("newer_version", newer == null ? "" : shown(newer.version()))
                .trusted("newer_version_value", newer == null ? "" : value(newer.version()))
                .number("newer_used", newer == null ? 0 : newer.shown());
        if (nonce != null) v.trusted("nonce", nonce);
        // the value goes into a button's callback value, never into text
        v.text("reason", reason).trusted("reason_value", reason).flag("has_reason", !reason.isEmpty());
        return renderer.render(templateFor(o.kind()), v);
    }

    /** {@code used/10} for the version, the last application through the bot and who made it. */
    public Card quota(Quota q) {
        Instant at = q.lastAt();
        Vars v = Vars.of()
                .text("version", shown(q.version()))
                .number("used", q.shown())
                .number("left", q.left())
                .flag("has_last", at != null)
                .trusted("last_at_zh", at == null ? "" : MINUTE.format(at.atZone(BEIJING)) + "（北京时间）")
                .trusted("last_at_en", at == null ? "" : MINUTE.format(at.atZone(ZoneOffset.UTC)) + " UTC")
                .person("last_by", q.lastBy())
                .flag("exhausted", q.left() == 0);
        return renderer.render("quota", v);
    }

    /** Shown while the platform is slow; the card is updated when the answer arrives. */
    public Card working() {
        return renderer.render("working", Vars.of());
    }

    /** The scopes list call failed: the platform's code, message and log_id. */
    public Card listFailed(int code, String msg, String logId) {
        return renderer.render("list_failed", Vars.of().number("code", code).text("msg", dash(msg)).text("log_id", dash(logId)));
    }

    private static Vars pager(Vars v, Pages pages, int p) {
        return v.number("page", p)
                .number("pages", pages.count())
                .trusted("prev_page", Integer.toString(Math.max(1, p - 1)))
                .trusted("next_page", Integer.toString(Math.min(pages.count(), p + 1)))
                .flag("paged", pages.count() > 1)
                .flag("has_prev", p > 1)
                .flag("has_next", p < pages.count());
    }

    private static String shown(String version) {
        return version == null || version.isBlank() ? "?" : version;
    }

    private static String value(String version) {
        return version == null ? "" : version;
    }

    private static String dash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }
}
