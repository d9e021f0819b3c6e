package com.permissionbot.chat;

/** Handles one kind of button (by its {@code action} value) and answers within the callback's 3 s. */
@FunctionalInterface
public interface CardActionHandler {
    CardAnswer handle(CardClick click);
}
