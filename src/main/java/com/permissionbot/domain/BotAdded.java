package com.permissionbot.domain;

/** The bot was added to a group chat (im.chat.member.bot.added_v1). */
public record BotAdded(String eventId, String tenantKey, String chatId, String operatorOpenId, String chatName) {}
