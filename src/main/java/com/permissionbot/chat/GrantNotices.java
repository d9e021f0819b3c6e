package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.GrantWatcher;
import com.permissionbot.scopes.Quota;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What the grant watcher found, told in chat: the Apply card turns into "granted" and the requester is @mentioned in
 * a reply; partial grants, an expired watch and revocations (also to the ops chat) get their own cards; "my
 * requests" / "我的申请" lists a requester's applications.
 */
public final class GrantNotices implements GrantWatcher.Notifier {
    private static final Logger log = LoggerFactory.getLogger(GrantNotices.class);
    static final String MINE = "my (requests?|applications?)|my apply requests|(我的|我提交的|我发起的)(申请|权限申请)";

    private final FeishuGateway gateway;
    private final GrantCards cards;
    private final ScopeService scopes;
    private final Store store;
    private final Duration horizon;
    private final String opsChatId;

    public GrantNotices(FeishuGateway gateway, GrantCards cards, ScopeService scopes, Store store, Duration horizon, String opsChatId) {
        this.gateway = gateway;
        this.cards = cards;
        this.scopes = scopes;
        this.store = store;
        this.horizon = horizon;
        this.opsChatId = opsChatId == null ? "" : opsChatId;
    }

    public void register(Conversation conversation) {
        conversation.on("my_requests", MINE, (m, g) -> cards.mine(store.applyRequestsBy(m.senderOpenId())));
    }

    @Override
    public void granted(ApplyRequest r, Duration took) {
        Card card = cards.granted(r, took);
        update(r, card);
        reply(r, card, "granted");
    }

    @Override
    public void partlyGranted(ApplyRequest r, List<String> granted, List<String> waiting) {
        reply(r, cards.partlyGranted(r, granted, waiting), "partial");
    }

    @Override
    public void expired(ApplyRequest r) {
        reply(r, cards.expired(r, horizon), "expired");
    }

    @Override
    public void revoked(String tenantKey, List<String> revoked, Set<String> chatIds) {
        Quota q = scopes.quota(tenantKey);
        Card card = cards.revoked(revoked, q, UUID.randomUUID().toString().substring(0, 8));
        Set<String> to = new LinkedHashSet<>(chatIds);
        if (!opsChatId.isEmpty()) to.add(opsChatId);
        String key = String.join(",", revoked);
        for (String chat : to) {
            PlatformResult<String> s = gateway.sendCard(chat, card, Conversation.uuid("revoked", chat + key + q.version()));
            if (!s.ok()) log.warn("revocation alert to {} failed: code {} log_id {}", chat, s.code(), s.logId());
        }
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message-card/patch : the card the Apply click turned into. */
    private void update(ApplyRequest r, Card card) {
        if (r.messageId() == null || r.messageId().isEmpty()) return;
        PlatformResult<Void> u = gateway.updateCard(r.messageId(), card);
        if (!u.ok()) log.warn("request {}: updating card {} failed: code {} log_id {}", r.id(), r.messageId(), u.code(), u.logId());
    }

    /** A reply to the request's card, so the @mention notifies the requester in that thread. */
    private void reply(ApplyRequest r, Card card, String what) {
        String uuid = Conversation.uuid(what, String.valueOf(r.id()));
        PlatformResult<String> s = r.messageId() == null || r.messageId().isEmpty()
                ? gateway.sendCard(r.chatId(), card, uuid) : gateway.replyCard(r.messageId(), card, uuid);
        if (!s.ok()) log.warn("request {}: '{}' notice failed: code {} log_id {}", r.id(), what, s.code(), s.logId());
    }
}
