package com.permissionbot.domain;

import java.util.List;

/** A message a user sent to the bot (im.message.receive_v1), reduced to what the conversation needs. */
public record IncomingMessage(String eventId, String tenantKey, String messageId, String chatId, String chatType,
                              String senderOpenId, String messageType, String text, List<Mention> mentions) {

    /** One @mention: the placeholder key in the text ({@code @_user_1}), who it is, and the shown name. */
    public record Mention(String key, String openId, String name) {}

    public boolean group() {
        return !"p2p".equals(chatType);
    }
}
