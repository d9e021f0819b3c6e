package com.permissionbot.chat;

import com.permissionbot.domain.BotAdded;
import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.feishu.EventParser;
import com.permissionbot.feishu.Uuids;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.OutboxMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * The bot's side of a chat: decides whether a message is for the bot, routes it to the registered intents, and replies
 * to the message that asked with a card (reply API, so threads stay readable). A reply the platform does not take at
 * once goes to the outbox, so only the reply is repeated, never the intent's work. Its own feature: the help intent,
 * the welcome card, and the message events themselves.
 */
public final class Conversation implements Feature {
    private static final Logger log = LoggerFactory.getLogger(Conversation.class);
    public static final List<String> TEMPLATES = List.of("help", "welcome", "error");
    /** https://open.feishu.cn/document/server-docs/im-v1/message/events/receive */
    public static final String MESSAGE = "im.message.receive_v1";
    /** https://open.feishu.cn/document/server-docs/group/chat-member/event/added-2 */
    public static final String BOT_ADDED = "im.chat.member.bot.added_v1";
    static final String HELP = "help|帮助|\\?|菜单|menu|commands?|使用说明";

    private final Outbox outbox;
    private final CardRenderer cards;
    private final Supplier<BotSelf> self;
    private final Clock clock;
    private final Registry registry;
    private volatile IntentRouter router;

    /** Who the bot is, to tell whether a group message mentions it. */
    public record BotSelf(String openId, String name) {}

    /** {@code registry}: where the features' intents are; read when the first message comes, once all have registered. */
    public Conversation(Outbox outbox, CardRenderer cards, Supplier<BotSelf> self, Clock clock, Registry registry) {
        this.outbox = outbox;
        this.cards = cards;
        this.self = self;
        this.clock = clock;
        this.registry = registry;
    }

    @Override
    public void register(Registry r) {
        r.intent("help", 10, HELP, c -> help())
                .event(MESSAGE, EventParser::message, this::onMessage)
                .event(BOT_ADDED, EventParser::botAdded, this::onBotAdded)
                .templates(TEMPLATES.toArray(String[]::new));
    }

    private IntentRouter router() {
        IntentRouter r = router;
        if (r == null) router = r = new IntentRouter(registry.intents());
        return r;
    }

    public void onMessage(IncomingMessage m) {
        if (m.group() && !mentionsBot(m)) {
            log.debug("event {}: group message without a mention of the bot; ignored", m.eventId());
            return;
        }
        Card card;
        try {
            card = router().route(m.text())
                    .map(r -> r.intent().handler().handle(new Command(m, r.intent().name(), r.argument())))
                    .orElseGet(this::help);
        } catch (RuntimeException e) {
            log.error("event {}: handler failed: {}", m.eventId(), e.toString(), e);
            card = apology("内部错误，已记录。请稍后重试。", "An internal error occurred and was logged. Please try again later.",
                    "internal", "-");
        }
        if (card != null) reply(m, card, "answer");
    }

    public void onBotAdded(BotAdded b) {
        if (b.chatId().isEmpty()) {
            log.warn("event {}: bot added to a group, but the event names no chat_id; no welcome card", b.eventId());
            return;
        }
        Card card = cards.render("welcome", Vars.of().text("chat_name", b.chatName()));
        outbox.deliver(OutboxMessage.send(b.chatId(), card, Uuids.of("welcome", b.chatId() + b.eventId()),
                "event " + b.eventId() + ": welcome card to " + b.chatId(), clock.instant()));
    }

    /** The commands, one line per feature that registered a help line, in the reader's language. */
    public Card help() {
        List<Registry.Help> lines = registry.help();
        return cards.render("help", Vars.of()
                .trusted("commands_zh", String.join("\n", lines.stream().map(Registry.Help::zh).toList()))
                .trusted("commands_en", String.join("\n", lines.stream().map(Registry.Help::en).toList())));
    }

    /** The generic error card with the code and log_id to quote to support. */
    public Card apology(String zh, String en, String code, String logId) {
        return cards.render("error", Vars.of().text("what_zh", zh).text("what_en", en).text("code", code)
                .text("log_id", logId == null || logId.isEmpty() ? "-" : logId));
    }

    /** Replies to the message; the uuid makes a repeat of this reply (after a crash) a no-op on the platform. */
    public void reply(IncomingMessage m, Card card, String purpose) {
        outbox.deliver(OutboxMessage.reply(m.messageId(), m.chatId(), card, Uuids.of(purpose, m.messageId()),
                "event " + m.eventId() + ": reply '" + card.name() + "'", clock.instant()));
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
}
