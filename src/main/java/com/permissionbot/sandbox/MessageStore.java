package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** IM messages in the tenant and the log of what the bot sent; see https://open.feishu.cn/document/server-docs/im-v1/message/create */
public final class MessageStore {

    public static final Set<String> MSG_TYPES = Set.of("text", "post", "image", "file", "audio", "media", "sticker",
            "interactive", "share_chat", "share_user", "system");
    public static final int CARD_LIMIT_BYTES = 30 * 1024;
    public static final int TEXT_LIMIT_BYTES = 150 * 1024;
    public static final Duration UUID_WINDOW = Duration.ofHours(1);
    public static final int UUID_MAX_CHARS = 50;
    /** Messages per second the bot may send into one chat (a user's 1:1 chat or a group). */
    public static final int CHAT_QPS = 5;
    /** Updates per second of one message. */
    public static final int PATCH_QPS = 5;
    /** How long after it was sent a card can still be updated. */
    public static final Duration UPDATE_WINDOW = Duration.ofDays(14);
    /** How long after it was sent a card still takes clicks. */
    public static final Duration INTERACT_WINDOW = Duration.ofDays(30);
    private static final Duration SECOND = Duration.ofSeconds(1);

    private record UuidUse(String messageId, Instant at) {
    }

    private final Clock clock;
    private final String appId;
    private final Map<String, ImMessage> byId = new HashMap<>();
    private final List<SentMessage> log = new ArrayList<>();
    private final Map<String, UuidUse> uuids = new HashMap<>();
    private final List<String> order = new ArrayList<>();
    private final Map<String, Deque<Instant>> chatSends = new HashMap<>();
    private final Map<String, Deque<Instant>> patches = new HashMap<>();
    private long revision;

    MessageStore(Clock clock, String appId) {
        this.clock = clock;
        this.appId = appId;
    }

    /** The chat id the emulator uses for the bot's 1:1 chat with a user. */
    public static String p2pChatId(String userId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(userId.getBytes(StandardCharsets.UTF_8));
            return "oc_" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds a message a user wrote, so the bot can reply to it; returns it with a fresh om_ id. */
    public synchronized ImMessage addUserMessage(String chatId, String senderOpenId, String msgType, String content) {
        Instant now = clock.instant();
        ImMessage m = new ImMessage(newId("om_"), chatId, msgType, content, "user", senderOpenId, null, null, null,
                now, now, false);
        byId.put(m.messageId(), m);
        order.add(m.messageId());
        revision++;
        return m;
    }

    public synchronized Optional<ImMessage> find(String messageId) {
        return Optional.ofNullable(byId.get(messageId));
    }

    public synchronized List<SentMessage> sent() {
        return List.copyOf(log);
    }

    public synchronized void clearLog() {
        log.clear();
    }

    /** Every message of a chat, users' and the bot's, oldest first, each with its current content. */
    public synchronized List<ImMessage> inChat(String chatId) {
        List<ImMessage> out = new ArrayList<>();
        for (String id : order) {
            ImMessage m = byId.get(id);
            if (m != null && chatId.equals(m.chatId())) out.add(m);
        }
        return out;
    }

    /** Grows by one on every change to any message; a cheap "anything new?" for pollers. */
    public synchronized long revision() {
        return revision;
    }

    /**
     * The card a callback answered with replaces the clicked card, as the client shows it; between day 14 and
     * day 30 the answer is ignored (https://open.feishu.cn/document/feishu-cards/card-callback-communication).
     * Returns whether the card was replaced.
     */
    synchronized boolean applyCallbackCard(String messageId, String content) {
        ImMessage old = byId.get(messageId);
        if (old == null || !updatable(old)) {
            return false;
        }
        byId.put(messageId, old.withContent(content, clock.instant()));
        revision++;
        return true;
    }

    /** A delayed update through a callback token; see https://open.feishu.cn/document/server-docs/im-v1/message-card/delay-update-message-card */
    synchronized void updateByToken(String messageId, String content) {
        ImMessage old = existing(messageId);
        if (!old.sentByApp() || !appId.equals(old.senderId())) {
            throw ApiException.bad(200310, "card sent by another app");
        }
        byId.put(messageId, old.withContent(content, clock.instant()));
        revision++;
    }

    /** Whether a card sent at {@code m.createTime()} may still be updated now. */
    synchronized boolean updatable(ImMessage m) {
        return Duration.between(m.createTime(), clock.instant()).compareTo(UPDATE_WINDOW) <= 0;
    }

    /** Whether a card sent at {@code m.createTime()} still takes clicks now. */
    synchronized boolean interactive(ImMessage m) {
        return Duration.between(m.createTime(), clock.instant()).compareTo(INTERACT_WINDOW) <= 0;
    }

    synchronized ImMessage send(String chatId, String msgType, String content, String uuid) {
        JsonNode parsed = validate(msgType, content, uuid);
        Optional<ImMessage> earlier = byUuid(uuid);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        Instant now = clock.instant();
        throttle(chatSends, chatId, CHAT_QPS, now, "the bot sends more than " + CHAT_QPS + " messages per second to chat " + chatId);
        ImMessage m = new ImMessage(newId("om_"), chatId, msgType, content, "app", appId, null, null, null,
                now, now, false);
        remember(m, uuid, now);
        log.add(new SentMessage(SentMessage.Kind.SEND, m.messageId(), chatId, null, msgType, parsed, uuid, false, now));
        return m;
    }

    synchronized ImMessage reply(String parentId, String msgType, String content, boolean inThread, String uuid) {
        ImMessage parent = existing(parentId);
        JsonNode parsed = validate(msgType, content, uuid);
        Optional<ImMessage> earlier = byUuid(uuid);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        Instant now = clock.instant();
        throttle(chatSends, parent.chatId(), CHAT_QPS, now, "the bot sends more than " + CHAT_QPS
                + " messages per second to chat " + parent.chatId());
        String root = parent.rootId() != null ? parent.rootId() : parent.messageId();
        String thread = parent.threadId() != null ? parent.threadId() : inThread ? newId("omt_") : null;
        ImMessage m = new ImMessage(newId("om_"), parent.chatId(), msgType, content, "app", appId, root,
                parent.messageId(), thread, now, now, false);
        remember(m, uuid, now);
        log.add(new SentMessage(SentMessage.Kind.REPLY, m.messageId(), parent.chatId(), parent.messageId(), msgType,
                parsed, uuid, inThread, now));
        return m;
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message-card/patch */
    synchronized ImMessage patch(String messageId, String content) {
        ImMessage old = existing(messageId);
        if (!old.sentByApp() || !appId.equals(old.senderId())) {
            throw ApiException.bad(230017, "Bot is NOT the owner of the resource.");
        }
        if (!"interactive".equals(old.msgType())) {
            throw ApiException.bad(230054, "This type of message does not support this operation, ext=only interactive messages can be updated");
        }
        if (!updatable(old)) {
            throw ApiException.bad(230031, "The message has been sent for more than 14 days and can no longer be updated, ext="
                    + messageId);
        }
        JsonNode card = validate("interactive", content, null);
        if (!sharedCard(parse(old.content()))) {
            throw ApiException.invalidParam("the sent card does not declare config.update_multi:true, so it cannot be updated");
        }
        if (!sharedCard(card)) {
            throw ApiException.invalidParam("the new card must declare config.update_multi:true");
        }
        Instant now = clock.instant();
        throttle(patches, messageId, PATCH_QPS, now, "more than " + PATCH_QPS + " updates per second of message " + messageId);
        ImMessage updated = old.withContent(content, now);
        byId.put(messageId, updated);
        revision++;
        log.add(new SentMessage(SentMessage.Kind.PATCH, messageId, old.chatId(), old.parentId(), "interactive", card,
                null, false, now));
        return updated;
    }

    /** A card may be updated when it is shared: JSON 2.0, a template or card entity, or {@code config.update_multi:true}. */
    static boolean sharedCard(JsonNode card) {
        String type = card.path("type").asText("");
        if ((type.equals("template") || type.equals("card")) && card.has("data")) {
            return true;
        }
        if ("2.0".equals(card.path("schema").asText(""))) {
            return true;
        }
        return card.path("config").path("update_multi").asBoolean(false);
    }

    private ImMessage existing(String messageId) {
        ImMessage m = byId.get(messageId);
        if (m == null) {
            throw ApiException.bad(99992354, "message_id not found, ext=" + messageId);
        }
        return m;
    }

    private JsonNode validate(String msgType, String content, String uuid) {
        if (msgType == null || msgType.isEmpty()) {
            throw ApiException.fieldValidation("msg_type is required");
        }
        if (!MSG_TYPES.contains(msgType)) {
            throw ApiException.invalidParam("invalid msg_type " + msgType);
        }
        if (content == null) {
            throw ApiException.fieldValidation("content is required");
        }
        if (uuid != null && uuid.length() > UUID_MAX_CHARS) {
            throw ApiException.fieldValidation("uuid must be at most " + UUID_MAX_CHARS + " characters");
        }
        int limit = msgType.equals("interactive") || msgType.equals("post") ? CARD_LIMIT_BYTES : TEXT_LIMIT_BYTES;
        int size = content.getBytes(StandardCharsets.UTF_8).length;
        if (size > limit) {
            throw ApiException.bad(230025, "The message is too long, ext=" + msgType + " content is " + size
                    + " bytes, the limit is " + limit);
        }
        JsonNode parsed = parse(content);
        if (parsed == null || !parsed.isObject()) {
            throw ApiException.invalidParam("invalid message content: content must be a JSON object serialized as a string");
        }
        return parsed;
    }

    private static JsonNode parse(String content) {
        try {
            return Envelope.JSON.readTree(content);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private Optional<ImMessage> byUuid(String uuid) {
        if (uuid == null || uuid.isEmpty()) {
            return Optional.empty();
        }
        UuidUse use = uuids.get(uuid);
        if (use == null || Duration.between(use.at(), clock.instant()).compareTo(UUID_WINDOW) >= 0) {
            return Optional.empty();
        }
        return Optional.ofNullable(byId.get(use.messageId()));
    }

    /** A one-second sliding window per key on the platform's clock; the call over the limit gets 230020. */
    private static void throttle(Map<String, Deque<Instant>> windows, String key, int limit, Instant now, String what) {
        Deque<Instant> w = windows.computeIfAbsent(key, k -> new ArrayDeque<>());
        while (!w.isEmpty() && !w.peekFirst().isAfter(now.minus(SECOND))) {
            w.pollFirst();
        }
        if (w.size() >= limit) {
            throw ApiException.imRateLimited(limit, what);
        }
        w.addLast(now);
    }

    private void remember(ImMessage m, String uuid, Instant now) {
        byId.put(m.messageId(), m);
        order.add(m.messageId());
        revision++;
        if (uuid != null && !uuid.isEmpty()) {
            uuids.put(uuid, new UuidUse(m.messageId(), now));
        }
    }

    private static String newId(String prefix) {
        byte[] bytes = new byte[prefix.equals("omt_") ? 6 : 16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}
