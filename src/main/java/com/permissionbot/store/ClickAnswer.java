package com.permissionbot.store;

/** A click's answer as kept for repeats of the click: the toast in both languages and the card it showed, if any. */
public record ClickAnswer(String toastType, String toastZh, String toastEn, String cardName, String cardJson) {}
