package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.inbox.RetryLater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Supplier;

/**
 * The bot's side of a chat: decides whether a message is for the bot, routes it to an intent, and replies to the
 * message that asked with a card (reply API, so threads stay readable).
 */
public final class Conversation {
    private static final Logger log = LoggerFactory.getLogger(Conversation.class);

    private final FeishuGateway gateway;
    private final CardRenderer cards;
    private final Supplier<BotSelf> self;
    private final IntentRouter router = new IntentRouter();

    /** Who the bot is, to tell whether a group message mentions it. */
    public record BotSelf(String openId, String name) {}

    public Conversation(FeishuGateway gateway, CardRenderer cards, Supplier<BotSelf> self) {
        this.gateway = gateway;
        this.cards = cards;
        this.self = self;
        router.on("help", "help|帮助|\\?|菜单|menu|commands?|使用说明", (m, g) -> help());
    }

    /** Registers an intent (see {@link IntentRouter#on}). */
    public Conversation on(String name, String regex, MessageHandler handler) {
        router.on(name, regex, handler);
        return this;
    }

    public void onMessage(IncomingMessage m) {
        if (m.group() && !mentionsBot(m)) {
            log.debug("event {}: group message without a mention of the bot; ignored", m.eventId());
            return;
        }
        Card card;
        try {
            card = router.route(m.text()).map(r -> r.handler().handle(m, r.groups())).orElseGet(this::help);
        } catch (RuntimeException e) {
            log.error("event {}: handler failed: {}", m.eventId(), e.toString(), e);
            card = apology("内部错误，已记录。请稍后重试。", "An internal error occurred and was logged. Please try again later.",
                    "internal", "-");
        }
        if (card == null) return;
        PlatformResult<String> r = reply(m, card, "answer");
        if (r.uncertain() || r.rateLimited() || r.chatRateLimited()) {
            // acknowledged, so it must not be lost: the inbox tries again later, and the reply's uuid keeps it single
            throw new RetryLater("reply not delivered (code " + r.code() + ", log_id " + r.logId() + ")", r.retryAfter());
        }
    }

    public void onBotAdded(BotAdded b) {
        if (b.chatId().isEmpty()) {
            log.warn("event {}: bot added to a group, but the event names no chat_id; no welcome card", b.eventId());
            return;
        }
        Card card = cards.render("welcome", Vars.of().text("chat_name", b.chatName()));
        PlatformResult<String> r = gateway.sendCard(b.chatId(), card, uuid("welcome", b.chatId() + b.eventId()));
        if (!r.ok()) log.warn("event {}: welcome card to {} failed: code {} log_id {}", b.eventId(), b.chatId(), r.code(), r.logId());
    }

    public Card help() {
        return cards.render("help", Vars.of());
    }

    /** The generic error card with the code and log_id to quote to support. */
    public Card apology(String zh, String en, String code, String logId) {
        return cards.render("error", Vars.of().text("what_zh", zh).text("what_en", en).text("code", code)
                .text("log_id", logId == null || logId.isEmpty() ? "-" : logId));
    }

    /** Replies to the message; the uuid makes a repeat of this reply (after a crash) a no-op on the platform. */
    public PlatformResult<String> reply(IncomingMessage m, Card card, String purpose) {
        String uuid = uuid(purpose, m.messageId());
        PlatformResult<String> r = gateway.replyCard(m.messageId(), card, uuid);
        // the uuid makes these retries safe: the platform keeps one reply per uuid for an hour
        for (int retry = 1; retry <= 3 && (r.uncertain() || r.rateLimited() || r.chatRateLimited()); retry++) {
            sleep(r.chatRateLimited() ? 1000L * retry : 300L * retry);
            r = gateway.replyCard(m.messageId(), card, uuid);
        }
        if (!r.ok()) log.warn("event {}: reply '{}' failed: code {} '{}' log_id {}", m.eventId(), card.name(), r.code(), r.msg(), r.logId());
        return r;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean mentionsBot(IncomingMessage m) {
        BotSelf me = self.get();
        for (IncomingMessage.Mention x : m.mentions()) {
            if (me.openId() != null && !me.openId().isEmpty()) {
                if (me.openId().equals(x.openId())) return true;
            } else if (me.name() != null && !me.name().isEmpty() && me.name().equals(x.name())) {
                return true;
            }
        }
        return false;
    }

    /** A request uuid for the platform's 1 h de-duplication: at most 50 characters. */
    static String uuid(String purpose, String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest((purpose + ":" + id).getBytes(StandardCharsets.UTF_8));
            return "pb-" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
