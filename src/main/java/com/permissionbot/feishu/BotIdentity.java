package com.permissionbot.feishu;

/** The bot's own open_id and name, from {@code GET /open-apis/bot/v3/info}. */
public record BotIdentity(String openId, String name) {}
