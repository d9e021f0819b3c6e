package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.nio.charset.StandardCharsets;

/** Delayed card update with the token of a card callback. */
final class CardApi {

    static final String DELAYED_UPDATE = "/open-apis/interactive/v1/card/update";

    private final CardTokens tokens;
    private final MessageStore messages;

    CardApi(CardTokens tokens, MessageStore messages) {
        this.tokens = tokens;
        this.messages = messages;
    }

    void register(Router r) {
        r.secured(HandlerType.POST, DELAYED_UPDATE, ImApi.PATCH_SCOPES, this::update);
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message-card/delay-update-message-card */
    private void update(Context ctx) {
        JsonNode body = Envelope.body(ctx);
        JsonNode token = body.get("token");
        CardTokens.Use use = tokens.use(token != null && token.isTextual() ? token.asText() : null);
        if (!use.outcome().ok()) {
            throw ApiException.bad(use.outcome());
        }
        JsonNode card = body.get("card");
        if (card == null || !card.isObject()) {
            throw ApiException.bad(10002, "card parameter validation failed, ext=card must be an object");
        }
        boolean v2 = "2.0".equals(card.path("schema").asText(""));
        boolean template = "template".equals(card.path("type").asText(""));
        if (!v2 && !template && !card.path("config").path("update_multi").asBoolean(false)
                && !card.path("open_ids").isArray()) {
            throw ApiException.bad(300090, "an exclusive card needs open_ids");
        }
        String content = card.toString();
        int size = content.getBytes(StandardCharsets.UTF_8).length;
        if (size > MessageStore.CARD_LIMIT_BYTES) {
            throw ApiException.bad(11311, "bad card, ext=the card is " + size + " bytes, the limit is "
                    + MessageStore.CARD_LIMIT_BYTES);
        }
        messages.updateByToken(use.messageId(), content);
        Envelope.topLevel(ctx, Envelope.object().put("code", 0).put("msg", "ok"));
    }
}
