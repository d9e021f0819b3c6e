package com.permissionbot.chat;

import com.permissionbot.domain.IncomingMessage;
import java.util.regex.Matcher;

/** Answers one intent with the card to reply with (null for no reply). */
@FunctionalInterface
public interface MessageHandler {
    com.permissionbot.cards.Card handle(IncomingMessage message, Matcher groups);
}
