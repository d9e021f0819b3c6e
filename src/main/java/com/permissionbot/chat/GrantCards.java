package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
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

/** The follow-up cards: granted, partly granted, watch expired, revoked, and "my requests". */
public final class GrantCards {
    private static final Pattern OPEN_ID = Pattern.compile("ou_[A-Za-z0-9]{1,64}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BEIJING_MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneId.of("Asia/Shanghai"));

    /** Every template these cards render. */
    public static final List<String> TEMPLATES = List.of("grant_granted", "grant_partial", "grant_expired", "grant_revoked", "my_requests");

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

    public Card expired(ApplyRequest r, Duration horizon) {
        return cards.render("grant_expired", base(r).list("waiting", r.scopes()).number("days", horizon.toDays()));
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
     * A requester's latest 20 applications, newest first, each with its state in words and, while open, how long it
     * has waited; when one is open, a note that Feishu does not report rejections.
     */
    public Card mine(List<ApplyRequest> requests, Instant now) {
        List<String> zh = new ArrayList<>();
        List<String> en = new ArrayList<>();
        boolean open = false;
        for (ApplyRequest r : requests.subList(0, Math.min(20, requests.size()))) {
            List<String> shown = r.scopes().subList(0, Math.min(5, r.scopes().size()));
            String scopes = String.join(", ", shown) + (r.scopes().size() > shown.size() ? ", …" : "");
            Duration waited = Duration.between(r.createdAt(), now);
            Duration took = r.grantedAt() == null ? null : Duration.between(r.createdAt(), r.grantedAt());
            open |= ApplyRequest.PENDING.equals(r.status()) || ApplyRequest.PARTIAL.equals(r.status());
            zh.add(BEIJING_MINUTE.format(r.createdAt()) + "（北京时间） · " + stateZh(r.status(), waited, took) + " · "
                    + r.scopes().size() + " 项权限：" + scopes);
            en.add(DAY.format(r.createdAt()) + " · " + stateEn(r.status(), waited, took) + " · " + r.scopes().size()
                    + (r.scopes().size() == 1 ? " scope: " : " scopes: ") + scopes);
        }
        return cards.render("my_requests", Vars.of().list("requests_zh", zh).list("requests_en", en)
                .flag("has_requests", !zh.isEmpty()).flag("has_open", open));
    }

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
