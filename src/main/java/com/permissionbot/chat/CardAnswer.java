package com.permissionbot.chat;

import com.permissionbot.cards.Card;

import java.util.concurrent.CompletableFuture;

/**
 * The synchronous answer to a click: a toast in both languages and, optionally, the card that replaces the clicked
 * one. When the work outlasts the callback's deadline, {@code later} completes with the final answer, which then
 * replaces the card in place. {@code clickAgain}: nothing was done, so a repeat of the same click runs again.
 */
public record CardAnswer(String toastType, String toastZh, String toastEn, Card card, CompletableFuture<CardAnswer> later,
                         boolean clickAgain) {

    public CardAnswer(String toastType, String toastZh, String toastEn, Card card) {
        this(toastType, toastZh, toastEn, card, null, false);
    }

    public static CardAnswer toast(String type, String zh, String en) {
        return new CardAnswer(type, zh, en, null, null, false);
    }

    /** A toast after which the same click may be made again (nothing happened: not allowed yet, or too soon). */
    public static CardAnswer notYet(String type, String zh, String en) {
        return new CardAnswer(type, zh, en, null, null, true);
    }
}
