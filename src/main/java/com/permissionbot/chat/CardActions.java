package com.permissionbot.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.cards.Card;
import com.permissionbot.store.ActionClaim;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Routes card clicks to handlers by their {@code action} value, once per (message, operator, value): a double
 * click, or the same click on another replica, gets the first click's answer instead of running again.
 */
public final class CardActions {
    private static final Logger log = LoggerFactory.getLogger(CardActions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, CardActionHandler> handlers = new HashMap<>();
    private final Store store;
    private final Clock clock;

    public CardActions(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Registers the handler for one action name; a second registration of the same name fails at start-up. */
    public CardActions on(String action, CardActionHandler handler) {
        if (handlers.putIfAbsent(action, handler) != null) {
            throw new IllegalStateException("card action '" + action + "' already has a handler");
        }
        return this;
    }

    public CardAnswer handle(CardClick click) {
        CardActionHandler h = handlers.get(click.action());
        if (h == null) {
            log.warn("click on message {} with unknown action '{}'", click.messageId(), click.action());
            return CardAnswer.toast("warning", "这个按钮已失效，请重新发起。", "This button is no longer active; please ask again.");
        }
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
        store.finishAction(key, write(answer), clock.instant());
        return answer;
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
