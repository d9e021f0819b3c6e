package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.Uuids;
import com.permissionbot.scopes.GrantWatcher;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What the grant watcher found, told in chat: the Apply card turns into "granted" and the requester is @mentioned in
 * a reply; partial grants, an expired watch and revocations (also to the ops chat) get their own cards, and each
 * change updates the request's card in the ops chat ({@link OpsRequests}); "my requests" / "我的申请" lists a
 * requester's applications. The cards are handed back as outbox messages, which the watcher stores with the change
 * that caused them.
 */
public final class GrantNotices implements GrantWatcher.Notifier, Feature {
    static final String MINE = "my (?:requests?|applications?)|my apply requests|(?:我的|我提交的|我发起的)(?:申请|权限申请)";

    private final GrantCards cards;
    private final ScopeService scopes;
    private final Store store;
    private final Duration horizon;
    private final String opsChatId;
    private final Clock clock;
    private final OpsRequests ops;

    public GrantNotices(GrantCards cards, ScopeService scopes, Store store, Duration horizon, String opsChatId, Clock clock,
                        OpsRequests ops) {
        this.ops = ops;
        this.cards = cards;
        this.clock = clock;
        this.scopes = scopes;
        this.store = store;
        this.horizon = horizon;
        this.opsChatId = opsChatId == null ? "" : opsChatId;
    }

    @Override
    public void register(Registry r) {
        r.intent("my_requests", 50, MINE, new Registry.Help("**我的申请** — 你发起的申请进展", "**my requests** — how your requests are doing"),
                        c -> cards.mine(store.applyRequestsBy(c.message().senderOpenId()), clock.instant()))
                .templates(GrantCards.TEMPLATES.toArray(String[]::new));
    }

    @Override
    public List<OutboxMessage> granted(ApplyRequest r, Duration took, Instant now) {
        Card card = cards.granted(r, took);
        List<OutboxMessage> out = new ArrayList<>();
        // https://open.feishu.cn/document/server-docs/im-v1/message-card/patch : the card the Apply click turned into
        if (r.messageId() != null && !r.messageId().isEmpty()) {
            out.add(OutboxMessage.update(r.messageId(), card, "request " + r.id() + ": granted card", now));
        }
        out.add(reply(r, card, "granted", now));
        out.addAll(ops.changed(r, ApplyRequest.GRANTED, List.of(), now));
        return out;
    }

    @Override
    public List<OutboxMessage> partlyGranted(ApplyRequest r, List<String> granted, List<String> waiting, Instant now) {
        List<OutboxMessage> out = new ArrayList<>(List.of(reply(r, cards.partlyGranted(r, granted, waiting), "partial", now)));
        out.addAll(ops.changed(r, ApplyRequest.PARTIAL, waiting, now));
        return out;
    }

    @Override
    public List<OutboxMessage> expired(ApplyRequest r, List<String> waiting, Instant now) {
        List<OutboxMessage> out = new ArrayList<>(List.of(reply(r, cards.expired(r, waiting, horizon), "expired", now)));
        out.addAll(ops.changed(r, ApplyRequest.EXPIRED, waiting, now));
        return out;
    }

    @Override
    public List<OutboxMessage> revoked(String tenantKey, List<String> revoked, Set<String> chatIds, Instant now) {
        Quota q = scopes.quota(tenantKey);
        // an open application that covers a revoked scope is still waiting for the admin, unless it was rejected
        // (Feishu reports no rejections): the card says so rather than only asking for another application
        List<String> waiting = new ArrayList<>();
        Instant since = null;
        for (ApplyRequest r : store.openApplyRequests(tenantKey)) {
            List<String> covered = revoked.stream().filter(r.scopes()::contains).toList();
            if (covered.isEmpty()) continue;
            for (String s : covered) if (!waiting.contains(s)) waiting.add(s);
            if (since == null || r.createdAt().isAfter(since)) since = r.createdAt();
        }
        waiting.sort(null);
        Card card = cards.revoked(revoked, waiting, since, q, UUID.randomUUID().toString().substring(0, 8));
        Set<String> to = new LinkedHashSet<>(chatIds);
        if (!opsChatId.isEmpty()) to.add(opsChatId);
        // the detection time makes a later revocation of the same scopes a new alert, not a repeat of this one
        String key = String.join(",", revoked) + "|" + now.toEpochMilli();
        List<OutboxMessage> out = new ArrayList<>();
        for (String chat : to) {
            out.add(OutboxMessage.send(chat, card, Uuids.of("revoked", chat + "|" + key),
                    "revocation alert to " + chat + " (" + String.join(",", revoked) + ")", now));
        }
        return out;
    }

    /** A reply to the request's card, so the @mention notifies the requester in that thread. */
    private static OutboxMessage reply(ApplyRequest r, Card card, String what, Instant now) {
        String uuid = Uuids.of(what, String.valueOf(r.id()));
        String label = "request " + r.id() + ": '" + what + "' notice";
        return r.messageId() == null || r.messageId().isEmpty()
                ? OutboxMessage.send(r.chatId(), card, uuid, label, now)
                : OutboxMessage.reply(r.messageId(), r.chatId(), card, uuid, label, now);
    }
}
