package com.permissionbot.chat;

import com.permissionbot.cards.Card;

import java.util.concurrent.CompletableFuture;

/**
 * The synchronous answer to a click: a toast in both languages and, optionally, the card that replaces the clicked
 * one. {@code slow}: the work outlasted the callback's deadline and goes on. {@code clickAgain}: nothing was done,
 * so a repeat of the same click runs again.
 */
public record CardAnswer(String toastType, String toastZh, String toastEn, Card card, Slow slow, boolean clickAgain) {

    /**
     * Work that goes on after the callback was answered: {@code result} completes with the final answer, whose card then
     * replaces the clicked one in place; {@code fallback} is the answer if it never does (the process died, or the work
     * failed), so the card never stays "working".
     */
    public record Slow(CompletableFuture<CardAnswer> result, CardAnswer fallback) {}

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

    /** This answer now, and the work that goes on. */
    public CardAnswer goingOn(CompletableFuture<CardAnswer> result, CardAnswer fallback) {
        return new CardAnswer(toastType, toastZh, toastEn, card, new Slow(result, fallback), false);
    }
}
