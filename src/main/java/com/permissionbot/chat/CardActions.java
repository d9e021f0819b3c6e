package com.permissionbot.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.store.ActionClaim;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Routes card clicks to handlers by their {@code action} value, once per (message, operator, value): a double
 * click, or the same click on another replica, gets the first click's answer instead of running again.
 */
public final class CardActions {
    private static final Logger log = LoggerFactory.getLogger(CardActions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How long after answering a callback its card may be updated. */
    static final long UPDATE_AFTER_MS = 500;

    private final Map<String, CardActionHandler> handlers = new HashMap<>();
    private final Set<String> repeatable = new HashSet<>();
    private final Store store;
    private final FeishuGateway gateway;
    private final Clock clock;

    public CardActions(Store store, FeishuGateway gateway, Clock clock) {
        this.store = store;
        this.gateway = gateway;
        this.clock = clock;
    }

    /** Registers the handler for one action name, run once per click; a second registration fails at start-up. */
    public CardActions on(String action, CardActionHandler handler) {
        if (handlers.putIfAbsent(action, handler) != null) {
            throw new IllegalStateException("card action '" + action + "' already has a handler");
        }
        return this;
    }

    /** Registers a handler that is safe to run on every click (paging, refreshing). */
    public CardActions onRepeatable(String action, CardActionHandler handler) {
        on(action, handler);
        repeatable.add(action);
        return this;
    }

    public CardAnswer handle(CardClick click) {
        CardActionHandler h = handlers.get(click.action());
        if (h == null) {
            log.warn("click on message {} with unknown action '{}'", click.messageId(), click.action());
            return CardAnswer.toast("warning", "这个按钮已失效，请重新发起。", "This button is no longer active; please ask again.");
        }
        if (repeatable.contains(click.action())) return h.handle(click);
        String key = key(click);
        ActionClaim claim = store.claimAction(key, clock.instant());
        if (!claim.fresh()) {
            if (!claim.finished()) {
                return CardAnswer.toast("info", "上一次点击仍在处理中，请稍候。", "Your previous click is still being handled; one moment.");
            }
            CardAnswer earlier = read(claim.response());
            return new CardAnswer("info", "已处理过这次点击。", "This click was already handled.", earlier == null ? null : earlier.card());
        }
        CardAnswer answer;
        try {
            answer = h.handle(click);
        } catch (RuntimeException e) {
            store.releaseAction(key);
            throw e;
        }
        if (answer.clickAgain()) {
            store.releaseAction(key);
            return answer;
        }
        store.finishAction(key, write(answer), clock.instant());
        if (answer.later() != null) {
            // the platform wants the callback answered before the card is updated (protocol §3.2)
            answer.later().thenApplyAsync(a -> a, CompletableFuture.delayedExecutor(UPDATE_AFTER_MS, TimeUnit.MILLISECONDS))
                    .whenComplete((last, err) -> finishLater(click, key, last, err));
        }
        return answer;
    }

    /** The slow part of a click ended after the callback was answered: remember it and update the card in place. */
    private void finishLater(CardClick click, String key, CardAnswer last, Throwable err) {
        if (err != null || last == null) {
            log.error("click on message {}: the slow part failed: {}", click.messageId(), String.valueOf(err));
            return;
        }
        store.finishAction(key, write(last), clock.instant());
        if (last.card() == null) return;
        // https://open.feishu.cn/document/server-docs/im-v1/message-card/patch
        var r = gateway.updateCard(click.messageId(), last.card());
        if (!r.ok() && !r.rateLimited()) {
            sleep(UPDATE_AFTER_MS * 2);
            r = gateway.updateCard(click.messageId(), last.card());
        }
        if (!r.ok()) log.warn("click on message {}: updating the card failed: code {} log_id {}", click.messageId(), r.code(), r.logId());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** message + operator + the button's value with sorted keys. */
    static String key(CardClick c) {
        return c.messageId() + "|" + c.operatorOpenId() + "|" + new TreeMap<>(c.value());
    }

    private static String write(CardAnswer a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", a.toastType()).put("zh", a.toastZh()).put("en", a.toastEn());
        if (a.card() != null) {
            n.put("name", a.card().name());
            n.set("card", a.card().json());
        }
        return n.toString();
    }

    private static CardAnswer read(String s) {
        if (s == null) return null;
        try {
            JsonNode n = JSON.readTree(s);
            Card card = n.has("card") ? new Card(n.path("name").asText(), (ObjectNode) n.get("card")) : null;
            return new CardAnswer(n.path("type").asText(), n.path("zh").asText(), n.path("en").asText(), card);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
