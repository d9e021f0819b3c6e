package com.permissionbot.store;

import com.permissionbot.cards.Card;

import java.time.Duration;
import java.time.Instant;

/**
 * A card the bot owes a chat, kept until the platform accepts it. {@link Kind#SEND} and {@link Kind#REPLY} carry
 * the uuid the platform de-duplicates by for an hour; {@link Kind#UPDATE} replaces a sent card's content;
 * {@link Kind#SLOT} is a card that lives in one message per slot (sent the first time, updated after). Rows of one
 * {@code topic} replace each other: only the newest is delivered. {@code what} names it in logs.
 */
public record OutboxMessage(long id, Kind kind, String topic, String target, String chatId, String tenantKey,
                            String cardName, String cardJson, String uuid, String what, int attempts, Instant dueAt,
                            Instant expiresAt, Instant createdAt) {

    /** How the card reaches the chat. */
    public enum Kind { SEND, REPLY, UPDATE, SLOT }

    /** How long the bot keeps trying to deliver what it owes before it gives up (one log line and a metric). */
    public static final Duration EXPIRY = Duration.ofHours(24);

    /** A new card in {@code chatId}. */
    public static OutboxMessage send(String chatId, Card card, String uuid, String what, Instant now) {
        return new OutboxMessage(0, Kind.SEND, "once:" + uuid, chatId, chatId, null, card.name(), card.toJson(), uuid, what,
                0, now, now.plus(EXPIRY), now);
    }

    /** A reply to {@code messageId} (or, if that message is gone, a new card in {@code chatId}). */
    public static OutboxMessage reply(String messageId, String chatId, Card card, String uuid, String what, Instant now) {
        return new OutboxMessage(0, Kind.REPLY, "once:" + uuid, messageId, chatId, null, card.name(), card.toJson(), uuid,
                what, 0, now, now.plus(EXPIRY), now);
    }

    /** New content for the card sent as {@code messageId}, from {@code due} on. */
    public static OutboxMessage update(String messageId, Card card, String what, Instant due) {
        return new OutboxMessage(0, Kind.UPDATE, "message:" + messageId, messageId, null, null, card.name(), card.toJson(),
                null, what, 0, due, due.plus(EXPIRY), due);
    }

    /** The card of {@code slot} in {@code chatId}: sent with {@code uuid} if the slot has no message yet, else updated. */
    public static OutboxMessage slot(String slot, String chatId, Card card, String uuid, String what, Instant now) {
        return new OutboxMessage(0, Kind.SLOT, "slot:" + slot, slot, chatId, null, card.name(), card.toJson(), uuid, what,
                0, now, now.plus(EXPIRY), now);
    }

    /** Whether rows of this kind exist once per uuid (a second one with the same uuid is the same message). */
    public boolean once() {
        return kind == Kind.SEND || kind == Kind.REPLY;
    }

    public OutboxMessage dueAt(Instant at) {
        return new OutboxMessage(id, kind, topic, target, chatId, tenantKey, cardName, cardJson, uuid, what, attempts, at,
                expiresAt, createdAt);
    }
}
