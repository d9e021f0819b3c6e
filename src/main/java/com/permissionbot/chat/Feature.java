package com.permissionbot.chat;

/** A capability of the bot: it registers its intents, buttons, events and card templates in one place. */
@FunctionalInterface
public interface Feature {
    void register(Registry registry);
}
