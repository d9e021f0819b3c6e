package com.permissionbot.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.Markdown;
import com.permissionbot.chat.CardActions;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.domain.CardClick;
import com.permissionbot.chat.Conversation;
import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.chat.ScopeHandlers;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A conversation test that reads like a script: {@code user("quota").repliesWith("quota").showing("0/10")}. The real
 * conversation, card actions and scope service run over a {@link FakeGateway} and a real SQLite store.
 */
public final class ChatScript implements AutoCloseable {
    public final FakeGateway platform = new FakeGateway();
    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    public final Store store;
    private final Conversation conversation;
    private final CardActions actions;
    private final Outbox outbox;
    private final ExecutorService work = Executors.newCachedThreadPool();
    private final AtomicInteger ids = new AtomicInteger();
    private String user = "ou_alice";
    private Card card;
    private String cardMessageId;
    private CardAnswer answer;
    private CardClick lastClick;

    public ChatScript(Path dir) {
        this(dir, Set.of(), Duration.ofSeconds(2));
    }

    public ChatScript(Path dir, Set<String> allowed, Duration answerWithin) {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("script-" + System.nanoTime() + ".db"));
        CardRenderer cards = CardRenderer.load(null);
        outbox = TestOutbox.over(store, platform, clock);
        conversation = new Conversation(outbox, cards, () -> new Conversation.BotSelf("ou_bot", "Permission Bot"), clock);
        actions = new CardActions(store, outbox, clock);
        ScopeService scopes = new ScopeService(platform, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(allowed, Duration.ofSeconds(10), "", answerWithin), "1.0.0", "test");
        new ScopeHandlers(scopes, new ScopeCards(cards), work, answerWithin).register(conversation, actions);
    }

    /** Who speaks and clicks from now on. */
    public ChatScript as(String openId) {
        user = openId;
        return this;
    }

    /** The user says {@code text} in a 1:1 chat. */
    public ChatScript user(String text) {
        int before = platform.said.size();
        String mid = "om_user_" + ids.incrementAndGet();
        conversation.onMessage(new IncomingMessage("ev-" + mid, "tenant_1", mid, "oc_chat", "p2p", user, "text", text, List.of()));
        assertTrue(platform.said.size() > before, "the bot said nothing to: " + text);
        FakeGateway.Said s = platform.said.get(platform.said.size() - 1);
        assertEquals("reply", s.kind());
        assertEquals(mid, s.target(), "the bot replies to the message that asked");
        card = s.card();
        cardMessageId = s.messageId();
        return this;
    }

    /** The last card the bot replied with is {@code name}. */
    public ChatScript repliesWith(String name) {
        assertEquals(name, card.name());
        return this;
    }

    /** The card's JSON contains each text. */
    public ChatScript showing(String... texts) {
        String json = card.toJson();
        for (String t : texts) {
            assertTrue(json.contains(t) || json.contains(Markdown.escape(t)), "card " + card.name() + " lacks '" + t + "'");
        }
        return this;
    }

    public ChatScript notShowing(String... texts) {
        String json = card.toJson();
        for (String t : texts) assertFalse(json.contains(t), "card " + card.name() + " shows '" + t + "'");
        return this;
    }

    /** Clicks the card's button whose callback action is {@code action}. */
    public ChatScript clicks(String action) {
        Map<String, String> value = CardJson.button(CardJson.tree(card), action);
        assertNotNull(value, "card " + card.name() + " has no '" + action + "' button");
        lastClick = new CardClick("tenant_1", cardMessageId, "oc_chat", user, value, "c-token");
        answer = actions.handle(lastClick);
        if (answer.card() != null) card = answer.card();
        return this;
    }

    /** The same click once more (a double click, or the platform re-sending it). */
    public ChatScript clicksAgain() {
        answer = actions.handle(lastClick);
        if (answer.card() != null) card = answer.card();
        return this;
    }

    /** The click's answer replaced the card with {@code name}. */
    public ChatScript cardBecomes(String name) {
        assertNotNull(answer.card(), "the click left the card as it was");
        assertEquals(name, answer.card().name());
        return this;
    }

    /** The click's toast type and English text fragment. */
    public ChatScript toast(String type, String english) {
        assertEquals(type, answer.toastType());
        assertTrue(answer.toastEn().contains(english), answer.toastEn());
        return this;
    }

    /** Waits for a slow click to update its card in place, which then becomes the current card. */
    public ChatScript cardUpdatesTo(String name) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            for (FakeGateway.Said s : List.copyOf(platform.said)) {
                if (s.kind().equals("update") && s.target().equals(cardMessageId) && s.card().name().equals(name)) {
                    card = s.card();
                    return this;
                }
            }
            BotHarness.sleep(20);
        }
        throw new AssertionError("card " + cardMessageId + " was not updated to " + name + "; said: " + platform.said);
    }

    public Card card() {
        return card;
    }

    public CardAnswer answer() {
        return answer;
    }

    @Override
    public void close() {
        outbox.close();
        work.shutdownNow();
        store.close();
    }
}
