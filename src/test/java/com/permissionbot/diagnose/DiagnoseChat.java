package com.permissionbot.diagnose;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.Markdown;
import com.permissionbot.chat.CardActions;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.domain.CardClick;
import com.permissionbot.chat.Conversation;
import com.permissionbot.chat.DiagnoseHandlers;
import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.chat.ScopeHandlers;
import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.support.TestOutbox;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.CardJson;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ChatScript}'s style with the diagnose intent registered after the scope intents, as App wires them:
 * {@code user(paste).repliesWith("diagnose_feishu_scope").showing("0/10").clicks("apply")}.
 */
final class DiagnoseChat implements AutoCloseable {
    static final String APP_ID = "cli_a5d611352af9d00b";
    static final String TENANT = "tenant_1";

    final FakeGateway platform = new FakeGateway();
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final Store store;
    final ScopeService scopes;
    private final Conversation conversation;
    private final CardActions actions;
    private final Outbox outbox;
    private final ExecutorService work = Executors.newCachedThreadPool();
    private final AtomicInteger ids = new AtomicInteger();
    private Card card;
    private String cardMessageId;
    private CardAnswer answer;

    DiagnoseChat(Path dir) {
        this(dir, BotConfig.FEISHU_ORIGIN);
    }

    /** {@code consoleOrigin}: the tenant's Open Platform site (Feishu or Lark). */
    DiagnoseChat(Path dir, String consoleOrigin) {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("diagnose-" + System.nanoTime() + ".db"));
        CardRenderer cards = CardRenderer.load(null);
        outbox = TestOutbox.over(store, platform, clock);
        conversation = new Conversation(outbox, cards, () -> new Conversation.BotSelf("ou_bot", "Permission Bot"), clock);
        actions = new CardActions(store, outbox, clock);
        scopes = new ScopeService(platform, RetryPolicy.immediate(), store, clock,
                new BotConfig.Apply(Set.of(), Duration.ofSeconds(10), "", Duration.ofSeconds(2)), "1.0.0", "test");
        new ScopeHandlers(scopes, new ScopeCards(cards), work, Duration.ofSeconds(2)).register(conversation, actions);
        new DiagnoseHandlers(scopes, cards, store, clock, APP_ID, consoleOrigin).register(conversation);
    }

    /** The user says (or pastes) {@code text} in a 1:1 chat. */
    DiagnoseChat user(String text) {
        int before = platform.said.size();
        String mid = "om_user_" + ids.incrementAndGet();
        conversation.onMessage(new IncomingMessage("ev-" + mid, TENANT, mid, "oc_chat", "p2p", "ou_alice", "text", text, List.of()));
        assertTrue(platform.said.size() > before, "the bot said nothing");
        FakeGateway.Said s = platform.said.get(platform.said.size() - 1);
        assertEquals("reply", s.kind());
        assertEquals(mid, s.target(), "the bot replies to the message that asked");
        card = s.card();
        cardMessageId = s.messageId();
        return this;
    }

    DiagnoseChat repliesWith(String name) {
        assertEquals(name, card.name());
        return this;
    }

    /** The card's JSON contains each text, as is or escaped for markdown. */
    DiagnoseChat showing(String... texts) {
        String json = card.toJson();
        for (String t : texts) assertTrue(json.contains(t) || json.contains(Markdown.escape(t)), "card " + card.name() + " lacks '" + t + "': " + json);
        return this;
    }

    DiagnoseChat notShowing(String... texts) {
        String json = card.toJson();
        for (String t : texts) assertFalse(json.contains(t), "card " + card.name() + " shows '" + t + "'");
        return this;
    }

    DiagnoseChat withButton(String action) {
        assertNotNull(CardJson.button(CardJson.tree(card), action), "card " + card.name() + " has no '" + action + "' button");
        return this;
    }

    DiagnoseChat withoutButton(String action) {
        assertNull(CardJson.button(CardJson.tree(card), action), "card " + card.name() + " has a '" + action + "' button");
        return this;
    }

    DiagnoseChat clicks(String action) {
        Map<String, String> value = CardJson.button(CardJson.tree(card), action);
        assertNotNull(value, "card " + card.name() + " has no '" + action + "' button");
        answer = actions.handle(new CardClick(TENANT, cardMessageId, "oc_chat", "ou_alice", value, "c-token"));
        if (answer.card() != null) card = answer.card();
        return this;
    }

    DiagnoseChat cardBecomes(String name) {
        assertNotNull(answer.card(), "the click left the card as it was");
        assertEquals(name, answer.card().name());
        return this;
    }

    /** The click's toast type and English text fragment. */
    DiagnoseChat toast(String type, String english) {
        assertEquals(type, answer.toastType());
        assertTrue(answer.toastEn().contains(english), answer.toastEn());
        return this;
    }

    Card card() {
        return card;
    }

    @Override
    public void close() {
        outbox.close();
        work.shutdownNow();
        store.close();
    }
}
