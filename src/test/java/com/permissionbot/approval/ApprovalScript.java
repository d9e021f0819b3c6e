package com.permissionbot.approval;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.Markdown;
import com.permissionbot.chat.ApprovalHandlers;
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
import com.permissionbot.support.TestOutbox;
import com.permissionbot.support.BotHarness;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.CardJson;
import com.permissionbot.support.ChatScript;
import com.permissionbot.support.FakeGateway;
import com.permissionbot.support.MutableClock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * A conversation script for the approval intents, like {@link ChatScript} but with {@link ApprovalHandlers}
 * registered next to the scope handlers, over an {@link ApprovalGateway} and a real SQLite store. Retries do not
 * wait ({@link RetryPolicy#immediate()}), and the outbox looks for due cards every few milliseconds.
 */
public final class ApprovalScript implements AutoCloseable {
    public static final String TENANT = "tenant_1";
    public final ApprovalGateway platform = new ApprovalGateway();
    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    public final Store store;
    public final Path db;
    public final ApprovalService approvals;
    public final ApprovalCards cards;
    public final CardRenderer renderer = CardRenderer.load(null);
    private final Conversation conversation;
    private final CardActions actions;
    public final Outbox outbox;
    private final ExecutorService work = Executors.newCachedThreadPool();
    private final AtomicInteger ids = new AtomicInteger();
    private String user = "ou_alice";
    private String chat = "oc_chat";
    private Card card;
    private String cardMessageId;
    private CardAnswer answer;

    public ApprovalScript(Path dir, List<String> configured) {
        db = dir.resolve("approval-" + System.nanoTime() + ".db");
        store = JdbcStore.open("jdbc:sqlite:" + db);
        outbox = TestOutbox.over(store, platform, clock);
        conversation = new Conversation(outbox, renderer, () -> new Conversation.BotSelf("ou_bot", "Permission Bot"), clock);
        actions = new CardActions(store, outbox, clock);
        ScopeService scopes = new ScopeService(platform, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), Duration.ofSeconds(10), "", Duration.ofSeconds(2)), "1.0.0", "test");
        new ScopeHandlers(scopes, new ScopeCards(renderer), work, Duration.ofSeconds(2)).register(conversation, actions);
        cards = new ApprovalCards(renderer);
        approvals = new ApprovalService(platform, RetryPolicy.immediate(), store, clock, configured, "test");
        new ApprovalHandlers(approvals, cards, scopes).register(conversation);
    }

    public ApprovalScript(Path dir) {
        this(dir, List.of());
    }

    /** The status cards over this script's store and platform. */
    public ApprovalEvents events() {
        return new ApprovalEvents(store, cards, clock, outbox::wake);
    }

    /** Who speaks from now on. */
    public ApprovalScript as(String openId) {
        user = openId;
        return this;
    }

    /** The chat the user speaks in from now on. */
    public ApprovalScript in(String chatId) {
        chat = chatId;
        return this;
    }

    /** The user says {@code text}. */
    public ApprovalScript user(String text) {
        int before = platform.said.size();
        String mid = "om_user_" + ids.incrementAndGet();
        conversation.onMessage(new IncomingMessage("ev-" + mid, TENANT, mid, chat, "p2p", user, "text", text, List.of()));
        assertTrue(platform.said.size() > before, "the bot said nothing to: " + text);
        FakeGateway.Said s = platform.said.get(platform.said.size() - 1);
        assertEquals("reply", s.kind());
        assertEquals(mid, s.target());
        card = s.card();
        cardMessageId = s.messageId();
        return this;
    }

    public ApprovalScript repliesWith(String name) {
        assertEquals(name, card.name(), () -> "card: " + card.toJson());
        return this;
    }

    /** The card's JSON contains each text (as typed, or escaped for markdown). */
    public ApprovalScript showing(String... texts) {
        String json = card.toJson();
        for (String t : texts) {
            assertTrue(json.contains(t) || json.contains(Markdown.escape(t)), "card " + card.name() + " lacks '" + t + "': " + json);
        }
        return this;
    }

    public ApprovalScript notShowing(String... texts) {
        String json = card.toJson();
        for (String t : texts) {
            assertFalse(json.contains(t), "card " + card.name() + " shows '" + t + "'");
        }
        return this;
    }

    /** Clicks the card's button whose callback action is {@code action}. */
    public ApprovalScript clicks(String action) {
        Map<String, String> value = CardJson.button(CardJson.tree(card), action);
        assertNotNull(value, "card " + card.name() + " has no '" + action + "' button");
        answer = actions.handle(new CardClick(TENANT, cardMessageId, chat, user, value, "c-token"));
        if (answer.card() != null) card = answer.card();
        return this;
    }

    public ApprovalScript cardBecomes(String name) {
        assertNotNull(answer.card(), "the click left the card as it was");
        assertEquals(name, answer.card().name());
        return this;
    }

    public Card card() {
        return card;
    }

    /** Waits until the outbox has delivered (or given up on) everything it owes. */
    public void awaitDelivered() {
        await(() -> store.outboxDepth() == 0);
    }

    /** Waits (at most 10 s) until the condition holds. */
    public static void await(java.util.function.BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting");
            BotHarness.sleep(5);
        }
    }

    @Override
    public void close() {
        outbox.close();
        work.shutdownNow();
        store.close();
    }
}
