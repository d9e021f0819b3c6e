package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** One thing the bot did to a message (send, reply or patch), with the content it sent parsed as JSON. */
public record SentMessage(
        Kind kind,
        String messageId,
        String chatId,
        String parentId,
        String msgType,
        JsonNode content,
        String uuid,
        boolean replyInThread,
        Instant time) {

    /** What the bot did. */
    public enum Kind { SEND, REPLY, PATCH }
}
