package com.permissionbot.support;

import com.permissionbot.Bot;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.Markdown;
import com.permissionbot.chat.CardAnswer;
import com.permissionbot.chat.Conversation;
import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import com.permissionbot.domain.CardClick;
import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A conversation test that reads like a script: {@code user("quota").repliesWith("quota").showing("0/10")}. It runs
 * the {@link Bot} production runs (every feature, from the same registry, so the same intents, precedence and buttons)
 * from a real configuration, over a {@link FakeGateway}, a real SQLite store and an outbox, without HTTP or the inbox.
 */
public final class ChatScript implements AutoCloseable {
    public static final String TENANT = "tenant_1";
    public static final String APP_ID = "cli_a5d611352af9d00b";
    public static final String VERSION = "1.0.0";

    public final FakeGateway platform = new FakeGateway();
    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    public final Path db;
    public final Store store;
    public final Outbox outbox;
    public final Bot bot;
    private final ExecutorService work = Executors.newCachedThreadPool();
    private final AtomicInteger ids = new AtomicInteger();
    private String user = "ou_alice";
    private String chat = "oc_chat";
    private Card card;
    private String cardMessageId;
    private String cardChat;
    private CardAnswer answer;
    private CardClick lastClick;
    private final BotConfig cfg;
    private final List<Outbox> replicaOutboxes = new java.util.concurrent.CopyOnWriteArrayList<>();

    public ChatScript(Path dir) {
        this(dir, "");
    }

    /** A bot configured with {@code yaml} on top of the defaults (for example an apply allow-list). */
    public ChatScript(Path dir, String yaml) {
        db = dir.resolve("script-" + System.nanoTime() + ".db");
        store = JdbcStore.open("jdbc:sqlite:" + db);
        outbox = TestOutbox.over(store, platform, clock);
        cfg = new ConfigLoader(Map.of("FEISHU_APP_ID", APP_ID, "FEISHU_APP_SECRET", "secret",
                "FEISHU_VERIFICATION_TOKEN", "vtoken", "FEISHU_ENCRYPT_KEY", "key", "FEISHU_APP_VERSION", VERSION,
                "DATABASE_URL", "jdbc:sqlite:" + db)).parse(yaml);
        bot = bot(outbox, "test");
        platform.platformClock = clock::instant;
    }

    /** Another replica: a bot with its own name and outbox over the same database, platform and clock. */
    public Bot replica(String owner) {
        Outbox o = TestOutbox.over(store, platform, clock, owner);
        replicaOutboxes.add(o);
        return bot(o, owner);
    }

    private Bot bot(Outbox o, String owner) {
        return new Bot(cfg, store, platform, RetryPolicy.immediate(), o, clock, owner, work,
                () -> new Conversation.BotSelf("ou_bot", "Permission Bot"), store::transportReports);
    }

    /** Who speaks and clicks from now on. */
    public ChatScript as(String openId) {
        user = openId;
        return this;
    }

    /** The chat the user speaks in from now on (a 1:1 chat). */
    public ChatScript in(String chatId) {
        chat = chatId;
        return this;
    }

    /** The user says {@code text}; the bot replies to that message. */
    public ChatScript user(String text) {
        int before = platform.said.size();
        String mid = "om_user_" + ids.incrementAndGet();
        bot.conversation.onMessage(new IncomingMessage("ev-" + mid, TENANT, mid, chat, "p2p", user, "text", text, List.of()));
        assertTrue(platform.said.size() > before, "the bot said nothing to: " + text);
        FakeGateway.Said s = platform.said.get(platform.said.size() - 1);
        assertEquals("reply", s.kind());
        assertEquals(mid, s.target(), "the bot replies to the message that asked");
        card = s.card();
        cardMessageId = s.messageId();
        cardChat = chat;
        return this;
    }

    /** A platform event of {@code type}, handled as the workers handle a stored one (through the registry). */
    public ChatScript event(String type, String eventId, String payload) {
        var route = bot.registry.events().get(type);
        assertNotNull(route, "no feature handles " + type);
        route.run(eventId, payload);
        return this;
    }

    /** The last card the bot replied with is {@code name}. */
    public ChatScript repliesWith(String name) {
        assertEquals(name, card.name(), () -> "card: " + card.toJson());
        return this;
    }

    /** The card's JSON contains each text, as typed or escaped for markdown. */
    public ChatScript showing(String... texts) {
        String json = card.toJson();
        for (String t : texts) {
            assertTrue(json.contains(t) || json.contains(Markdown.escape(t)), "card " + card.name() + " lacks '" + t + "': " + json);
        }
        return this;
    }

    public ChatScript notShowing(String... texts) {
        String json = card.toJson();
        for (String t : texts) assertFalse(json.contains(t), "card " + card.name() + " shows '" + t + "'");
        return this;
    }

    public ChatScript withButton(String action) {
        assertNotNull(CardJson.button(CardJson.tree(card), action), "card " + card.name() + " has no '" + action + "' button");
        return this;
    }

    public ChatScript withoutButton(String action) {
        assertNull(CardJson.button(CardJson.tree(card), action), "card " + card.name() + " has a '" + action + "' button");
        return this;
    }

    /** Clicks the card's button whose callback action is {@code action}. */
    public ChatScript clicks(String action) {
        return submits(action, Map.of());
    }

    /** Types into the card's form ({@code form}: input name to text) and clicks its submit button {@code action}. */
    public ChatScript submits(String action, Map<String, String> form) {
        lastClick = click(action, form);
        answer = bot.actions.handle(lastClick);
        if (answer.card() != null) card = answer.card();
        return this;
    }

    /** The click on the card's button {@code action} with {@code form} typed in, as the platform would bring it (not handled). */
    public CardClick click(String action, Map<String, String> form) {
        Map<String, String> value = CardJson.button(CardJson.tree(card), action);
        assertNotNull(value, "card " + card.name() + " has no '" + action + "' button");
        return new CardClick(TENANT, cardMessageId, cardChat, user, value, "c-token", form);
    }

    /** The same click once more (a double click, or the platform re-sending it). */
    public ChatScript clicksAgain() {
        answer = bot.actions.handle(lastClick);
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
        await(() -> List.copyOf(platform.said).stream().anyMatch(s -> s.kind().equals("update")
                && s.target().equals(cardMessageId) && s.card().name().equals(name)));
        card = List.copyOf(platform.said).stream().filter(s -> s.kind().equals("update") && s.target().equals(cardMessageId)
                && s.card().name().equals(name)).reduce((a, b) -> b).orElseThrow().card();
        return this;
    }

    public Card card() {
        return card;
    }

    public CardAnswer answer() {
        return answer;
    }

    /** Waits until the outbox has delivered (or given up on) everything it owes. */
    public void awaitDelivered() {
        await(() -> store.outboxDepth() == 0);
    }

    /** Waits (at most 10 s) until the condition holds. */
    public static void await(BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting");
            BotHarness.sleep(5);
        }
    }

    @Override
    public void close() {
        replicaOutboxes.forEach(Outbox::close);
        outbox.close();
        work.shutdownNow();
        store.close();
    }
}
