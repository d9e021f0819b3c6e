package com.permissionbot.chat;

import com.permissionbot.cards.Card;

/** The synchronous answer to a click: a toast in both languages and, optionally, the card that replaces the clicked one. */
public record CardAnswer(String toastType, String toastZh, String toastEn, Card card) {

    public static CardAnswer toast(String type, String zh, String en) {
        return new CardAnswer(type, zh, en, null);
    }
}
