package com.permissionbot.chat;

import com.permissionbot.cards.Card;

/** Answers one intent with the card to reply with (null for no reply). */
@FunctionalInterface
public interface IntentHandler {
    Card handle(Command command);
}
