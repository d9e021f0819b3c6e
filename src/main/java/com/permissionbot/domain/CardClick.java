package com.permissionbot.domain;

import java.util.Map;

/** A button press on one of the bot's cards; {@code value} is the button's callback value (strings only). */
public record CardClick(String tenantKey, String messageId, String chatId, String operatorOpenId,
                        Map<String, String> value, String updateToken) {

    public String action() {
        return value.getOrDefault("action", "");
    }
}
