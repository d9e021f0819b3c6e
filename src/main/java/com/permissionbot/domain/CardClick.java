package com.permissionbot.domain;

import java.util.Map;

/**
 * A button press on one of the bot's cards; {@code value} is the button's callback value (strings only); {@code form}
 * holds, when the button submits a form, what was typed into the form's inputs, by input name (empty otherwise).
 */
public record CardClick(String tenantKey, String messageId, String chatId, String operatorOpenId,
                        Map<String, String> value, String updateToken, Map<String, String> form) {

    public CardClick {
        form = form == null ? Map.of() : Map.copyOf(form);
    }

    public String action() {
        return value.getOrDefault("action", "");
    }
}
