package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.permissionbot.sandbox.EventPusher.CallbackResult;

import static com.permissionbot.sandbox.EventPusher.CALLBACK_BAD_BODY;
import static com.permissionbot.sandbox.EventPusher.CALLBACK_BAD_CARD;
import static com.permissionbot.sandbox.EventPusher.CALLBACK_DOWNGRADE;

/**
 * What the Feishu client makes of a card click and its answer, whichever transport carried it; see
 * https://open.feishu.cn/document/feishu-cards/card-callback-communication
 */
final class CardClicks {

    private CardClicks() {
    }

    /** Why the card with {@code messageId} takes no click, or null when it does. */
    static CallbackResult refusal(PlatformEmulator platform, ImMessage m, String messageId) {
        if (m == null || !m.sentByApp() || !"interactive".equals(m.msgType())) {
            return new CallbackResult(0, null, CALLBACK_BAD_CARD, "no card of the bot with message id " + messageId, 0, null, false);
        }
        if (!platform.im().interactive(m)) {
            return new CallbackResult(0, null, 0, "该卡片发送时间已超过 30 天，无法进行互动 (the card was sent more than 30 days ago and no longer takes clicks)",
                    0, null, false);
        }
        return null;
    }

    /**
     * A successful answer's body judged as the client does, its card applied to the clicked message when valid; see
     * https://open.feishu.cn/document/feishu-cards/card-callback-communication
     */
    static CallbackResult judge(PlatformEmulator platform, ImMessage m, String rawBody, long took, String token) {
        JsonNode body = parseOrNull(rawBody);
        if (body == null || !body.isObject()) {
            return new CallbackResult(200, null, CALLBACK_BAD_BODY, "the callback's answer is not a JSON object", took, token, false);
        }
        JsonNode card = body.path("card");
        if (card.isMissingNode() || card.isNull()) {
            return new CallbackResult(200, body, 0, null, took, token, false);
        }
        String type = card.path("type").asText("");
        JsonNode data = card.path("data");
        if (!data.isObject() || !(type.equals("raw") || type.equals("template"))) {
            return new CallbackResult(200, body, CALLBACK_BAD_CARD, "the answer's card is not {type: raw|template, data: {...}}",
                    took, token, false);
        }
        if (type.equals("raw") && isV2(parseOrNull(m.content())) && !isV2(data)) {
            return new CallbackResult(200, body, CALLBACK_DOWNGRADE, "a 2.0 card cannot be replaced by a 1.0 card",
                    took, token, false);
        }
        boolean applied = platform.im().applyCallbackCard(m.messageId(), data.toString());
        return new CallbackResult(200, body, 0, null, took, token, applied);
    }

    static JsonNode parseOrNull(String s) {
        try {
            return s == null || s.isBlank() ? null : Envelope.JSON.readTree(s);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static boolean isV2(JsonNode card) {
        return card != null && "2.0".equals(card.path("schema").asText(""));
    }
}
