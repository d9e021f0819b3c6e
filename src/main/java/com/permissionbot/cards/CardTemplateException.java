package com.permissionbot.cards;

/** A card template is missing or broken; the message names the file. */
public final class CardTemplateException extends RuntimeException {
    public CardTemplateException(String file, String problem) {
        super("card template " + file + " " + problem);
    }
}
