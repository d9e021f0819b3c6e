package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.scopes.Quota;
import com.permissionbot.store.ApplyRequest;

import java.time.Duration;
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

    public Card revoked(List<String> revoked, Quota q, String nonce) {
        return cards.render("grant_revoked", Vars.of().list("scopes", revoked).number("count", revoked.size())
                .text("version", q.version()).trusted("version_value", q.version()).number("used", q.shown())
                .trusted("nonce", nonce));
    }

    /** A requester's latest 20 applications, newest first. */
    public Card mine(List<ApplyRequest> requests) {
        List<String> lines = new ArrayList<>();
        for (ApplyRequest r : requests.subList(0, Math.min(20, requests.size()))) {
            List<String> shown = r.scopes().subList(0, Math.min(5, r.scopes().size()));
            lines.add(DAY.format(r.createdAt()) + " · " + r.status() + " · " + r.scopes().size() + " scope(s): "
                    + String.join(", ", shown) + (r.scopes().size() > shown.size() ? ", …" : ""));
        }
        return cards.render("my_requests", Vars.of().list("requests", lines).flag("has_requests", !lines.isEmpty()));
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
