package com.permissionbot.store;

/** The result of claiming a card click: {@code fresh} for the first claim, else the earlier click's state. */
public record ActionClaim(boolean fresh, boolean finished, String response) {}
