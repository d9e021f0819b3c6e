package com.permissionbot.sandbox;

import java.time.Instant;

/** A message as the platform holds it now (after any patches); {@code content} is the JSON string. */
public record ImMessage(
        String messageId,
        String chatId,
        String msgType,
        String content,
        String senderType,
        String senderId,
        String rootId,
        String parentId,
        String threadId,
        Instant createTime,
        Instant updateTime,
        boolean updated) {

    public boolean sentByApp() {
        return "app".equals(senderType);
    }

    ImMessage withContent(String newContent, Instant at) {
        return new ImMessage(messageId, chatId, msgType, newContent, senderType, senderId, rootId, parentId,
                threadId, createTime, at, true);
    }
}
