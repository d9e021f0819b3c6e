package com.permissionbot.chat;

import com.permissionbot.domain.CardClick;
/** Handles one kind of button (by its {@code action} value) and answers within the callback's 3 s. */
@FunctionalInterface
public interface CardActionHandler {
    CardAnswer handle(CardClick click);
}
