package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.cards.Markdown;
import com.permissionbot.cards.Pages;
import com.permissionbot.domain.Quota;
import com.permissionbot.store.ApplyRequest;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The follow-up cards: granted, partly granted, watch expired, revoked, "my requests", and the admins' request card. */
public final class GrantCards {
    private static final Pattern OPEN_ID = Pattern.compile("ou_[A-Za-z0-9]{1,64}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BEIJING_MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneId.of("Asia/Shanghai"));

    /** Every template these cards render. */
    public static final List<String> TEMPLATES = List.of("grant_granted", "grant_partial", "grant_expired", "grant_revoked", "my_requests",
            "ops_request");
    /** Requests "my requests" lists at most; fewer when their text would not fit in a card. */
    static final int MINE_SHOWN = 20;
    /** Each language's list of requests at most, in bytes: the English one is in the card twice, so 3 x 8,000 fit in 30 KB. */
    static final int MINE_BUDGET_BYTES = 8_000;

    private final CardRenderer cards;

    public GrantCards(CardRenderer cards) {
        this.cards = cards;
    }

    public Card granted(ApplyRequest r, Duration took) {
        return cards.render("grant_granted", base(r).list("scopes", r.scopes())
                .text("took_zh", human(took, true)).text("took_en", human(took, false)));
    }

    public Card partlyGranted(ApplyRequest r, List<String> granted, List<String> waiting) {
        return cards.render("grant_partial", base(r).list("granted", granted).list("waiting", waiting)
                .number("granted_count", granted.size()).number("waiting_count", waiting.size()));
    }

    public Card expired(ApplyRequest r, List<String> waiting, Duration horizon) {
        return cards.render("grant_expired", base(r).list("waiting", waiting).number("days", horizon.toDays()));
    }

    /**
     * Scopes granted before and not now; {@code waiting} are those of them an open application already covers (sent
     * at {@code waitingSince}, the newest such application), which the card says instead of just offering Apply again.
     */
    public Card revoked(List<String> revoked, List<String> waiting, Instant waitingSince, Quota q, String nonce) {
        boolean hasWaiting = !waiting.isEmpty() && waitingSince != null;
        boolean allWaiting = hasWaiting && waiting.containsAll(revoked);
        return cards.render("grant_revoked", Vars.of().list("scopes", revoked).number("count", revoked.size())
                .list("waiting", waiting).flag("has_waiting", hasWaiting).flag("some_waiting", hasWaiting && !allWaiting)
                .flag("all_waiting", allWaiting)
                .trusted("waiting_since_zh", hasWaiting ? "北京时间 " + BEIJING_MINUTE.format(waitingSince) : "")
                .trusted("waiting_since_en", hasWaiting ? DAY.format(waitingSince) : "")
                .text("version", q.version()).trusted("version_value", q.version()).number("used", q.shown())
                .trusted("nonce", nonce));
    }

    /**
     * A requester's latest {@link #MINE_SHOWN} applications (fewer if their text would not fit), newest first, each with
     * its state in words and how long an open one has waited, then its reason on a line of its own (a line is cut at
     * {@link Markdown#MAX_ITEM_CHARS} characters); when one is open, a note that Feishu does not report rejections.
     */
    public Card mine(List<ApplyRequest> requests, Instant now) {
        List<String> zh = new ArrayList<>();
        List<String> en = new ArrayList<>();
        int zhBytes = 0;
        int enBytes = 0;
        boolean open = false;
        for (ApplyRequest r : requests.subList(0, Math.min(MINE_SHOWN, requests.size()))) {
            List<String> shown = r.scopes().subList(0, Math.min(5, r.scopes().size()));
            String scopes = String.join(", ", shown) + (r.scopes().size() > shown.size() ? ", …" : "");
            Duration waited = Duration.between(r.createdAt(), now);
            Duration took = r.grantedAt() == null ? null : Duration.between(r.createdAt(), r.grantedAt());
            List<String> z = new ArrayList<>(List.of(BEIJING_MINUTE.format(r.createdAt()) + "（北京时间） · "
                    + stateZh(r.status(), waited, took) + " · " + r.scopes().size() + " 项权限：" + scopes));
            List<String> e = new ArrayList<>(List.of(DAY.format(r.createdAt()) + " · " + stateEn(r.status(), waited, took) + " · "
                    + r.scopes().size() + (r.scopes().size() == 1 ? " scope: " : " scopes: ") + scopes));
            if (!r.reason().isEmpty()) {
                z.add("↳ 理由：" + r.reason());
                e.add("↳ reason: " + r.reason());
            }
            zhBytes += z.stream().mapToInt(Markdown::bulletBytes).sum();
            enBytes += e.stream().mapToInt(Markdown::bulletBytes).sum();
            if (zhBytes > MINE_BUDGET_BYTES || enBytes > MINE_BUDGET_BYTES) break;
            zh.addAll(z);
            en.addAll(e);
            open |= ApplyRequest.PENDING.equals(r.status()) || ApplyRequest.PARTIAL.equals(r.status());
        }
        return cards.render("my_requests", Vars.of().list("requests_zh", zh).list("requests_en", en)
                .flag("has_requests", !zh.isEmpty()).flag("has_open", open));
    }

    /**
     * The request card in the admins' chat, for the request in {@code status} ({@link ApplyRequest#PENDING},
     * {@link ApplyRequest#PARTIAL}, {@link ApplyRequest#GRANTED} or {@link ApplyRequest#EXPIRED}) since {@code at}: who
     * asked (by name), the reason, the scopes the application swept in (for a partial grant, those still waiting), the
     * quota {@code q} of the request's version, the state, and {@code consoleUrl}, the app's permissions page.
     */
    public Card opsRequest(ApplyRequest r, String status, List<String> waiting, Quota q, Instant at, Duration horizon,
                           String consoleUrl) {
        boolean partial = ApplyRequest.PARTIAL.equals(status);
        // a partial grant, and a watch that ended after one, list only what is still waiting
        List<String> listed = partial || ApplyRequest.EXPIRED.equals(status) ? waiting : r.scopes();
        List<String> first = Pages.split(listed, ScopeCards.PAGE_SIZE, ScopeCards.PAGE_BUDGET_BYTES).slice(listed, 1);
        Look look = switch (status) {
            case ApplyRequest.PARTIAL -> new Look("部分已开通", "Partly granted", "wathet");
            case ApplyRequest.GRANTED -> new Look("已开通", "Granted", "green");
            case ApplyRequest.EXPIRED -> new Look("未开通，已停止跟进", "Not granted, no longer followed", "grey");
            default -> new Look("等待管理员审批", "Waiting for an admin", "blue");
        };
        Duration took = Duration.between(r.createdAt(), at);
        return cards.render("ops_request", Vars.of()
                .trusted("state_zh", look.zh()).trusted("state_en", look.en()).trusted("color", look.color())
                .person("requester", r.requesterOpenId())
                .trusted("requested_at_zh", BEIJING_MINUTE.format(r.createdAt()) + "（北京时间）")
                .trusted("requested_at_en", DAY.format(r.createdAt()))
                .text("reason", r.reason()).flag("has_reason", !r.reason().isEmpty())
                .number("count", r.scopes().size()).number("granted_count", r.scopes().size() - waiting.size())
                .list("scopes", first).number("more", listed.size() - first.size()).flag("has_more", listed.size() > first.size())
                .text("version", q.version()).number("used", q.shown()).number("left", q.left())
                .trusted("at_zh", BEIJING_MINUTE.format(at) + "（北京时间）").trusted("at_en", DAY.format(at))
                .text("took_zh", human(took, true)).text("took_en", human(took, false)).number("days", horizon.toDays())
                .flag("partial", partial).flag("waiting", partial || ApplyRequest.PENDING.equals(status))
                .flag("granted", ApplyRequest.GRANTED.equals(status)).flag("expired", ApplyRequest.EXPIRED.equals(status))
                .trusted("console_url", consoleUrl));
    }

    /** A request's state as the admins' card names and colours it. */
    private record Look(String zh, String en, String color) {}

    private static String stateZh(String status, Duration waited, Duration took) {
        return switch (status) {
            case ApplyRequest.PENDING -> "等待管理员处理（已等 " + human(waited, true) + "）";
            case ApplyRequest.PARTIAL -> "部分已开通，其余仍在等待（已等 " + human(waited, true) + "）";
            case ApplyRequest.GRANTED -> took == null ? "已开通" : "已开通（用时 " + human(took, true) + "）";
            case ApplyRequest.EXPIRED -> "超过跟进期限仍未开通，已停止跟进";
            default -> status;
        };
    }

    private static String stateEn(String status, Duration waited, Duration took) {
        return switch (status) {
            case ApplyRequest.PENDING -> "waiting for the admin (for " + human(waited, false) + ")";
            case ApplyRequest.PARTIAL -> "partly granted, the rest waiting (for " + human(waited, false) + ")";
            case ApplyRequest.GRANTED -> took == null ? "granted" : "granted (took " + human(took, false) + ")";
            case ApplyRequest.EXPIRED -> "not granted within the follow-up period; no longer followed";
            default -> status;
        };
    }

    /** The requester's @mention (only a well-formed open_id becomes one) and when they asked. */
    private static Vars base(ApplyRequest r) {
        String mention = OPEN_ID.matcher(r.requesterOpenId()).matches() ? "<at id=" + r.requesterOpenId() + "></at> " : "";
        return Vars.of().trusted("mention", mention).trusted("requested_at", DAY.format(r.createdAt()));
    }

    static String human(Duration d, boolean zh) {
        long m = Math.max(1, d.toMinutes());
        if (m < 60) return zh ? m + " 分钟" : m + (m == 1 ? " minute" : " minutes");
        long h = d.toHours();
        if (h < 48) return zh ? h + " 小时 " + (m % 60) + " 分钟" : h + " h " + (m % 60) + " min";
        return zh ? d.toDays() + " 天" : d.toDays() + " days";
    }
}
