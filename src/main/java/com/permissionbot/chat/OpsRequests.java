package com.permissionbot.chat;

import com.permissionbot.domain.Quota;
import com.permissionbot.feishu.Uuids;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.ApplyRequest;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The request card in the admins' chat ({@code follow.ops_chat_id}): one card per application, sent when it goes out
 * and updated in place when its scopes are granted, partly granted, or its watch expires. It lives in an outbox slot
 * (sent once, then patched: https://open.feishu.cn/document/server-docs/im-v1/message-card/patch), stored with the change
 * that caused it, so restarts and platform outages only delay it. Without an ops chat there is no card.
 */
public final class OpsRequests implements ScopeService.RequestNotifier {
    private static final Logger log = LoggerFactory.getLogger(OpsRequests.class);
    private final GrantCards cards;
    private final Store store;
    private final String opsChatId;
    private final Duration horizon;
    private final String consoleUrl;

    /** {@code consoleUrl}: the app's permissions page the card links to; {@code horizon}: how long a request is followed. */
    public OpsRequests(GrantCards cards, Store store, String opsChatId, Duration horizon, String consoleUrl) {
        this.cards = cards;
        this.store = store;
        this.opsChatId = opsChatId == null ? "" : opsChatId;
        this.horizon = horizon;
        this.consoleUrl = consoleUrl;
    }

    @Override
    public List<OutboxMessage> requested(ApplyRequest r, Quota after, Instant now) {
        return card(r, ApplyRequest.PENDING, List.of(), after, now);
    }

    /** The card's new state; {@code waiting}: the scopes a partial grant left. */
    List<OutboxMessage> changed(ApplyRequest r, String status, List<String> waiting, Instant now) {
        if (opsChatId.isEmpty()) return List.of();
        return card(r, status, waiting, store.quota(r.tenantKey(), r.appVersion()), now);
    }

    /** Stored with the request's change, so a card that fails to render is left out rather than undoing the change. */
    private List<OutboxMessage> card(ApplyRequest r, String status, List<String> waiting, Quota q, Instant now) {
        if (opsChatId.isEmpty()) return List.of();
        try {
            return List.of(OutboxMessage.slot("request:" + r.id(), opsChatId, cards.opsRequest(r, status, waiting, q, now, horizon, consoleUrl),
                    Uuids.of("ops-request", String.valueOf(r.id())), "request " + r.id() + ": admins' card (" + status + ")", now));
        } catch (RuntimeException e) {
            log.error("request {}: the admins' card ({}) could not be drawn, so it is left out: {}", r.id(), status, e.toString(), e);
            return List.of();
        }
    }
}
