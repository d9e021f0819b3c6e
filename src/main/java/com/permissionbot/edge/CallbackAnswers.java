package com.permissionbot.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.permissionbot.feishu.Wire;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import com.permissionbot.chat.CardAnswer;

/** A click's answer on the wire: the new callback's {@code {toast, card}} and the legacy callback's card-with-toast. */
final class CallbackAnswers {
    private static final ObjectMapper JSON = Wire.JSON;

    private CallbackAnswers() {}

    /** https://open.feishu.cn/document/feishu-cards/card-callback-communication : toast, and the card that replaces the clicked one. */
    static String current(CardAnswer a) {
        ObjectNode n = JSON.createObjectNode();
        toast(n, a);
        if (a.card() != null) n.putObject("card").put("type", "raw").putRawValue("data", new RawValue(a.card().toJson()));
        return n.toString();
    }

    /**
     * The legacy callback answers with the card itself at the top level, plus a toast; see
     * https://open.feishu.cn/document/deprecated-guide/message-card/configuring-card-callbacks/card-callback-structure
     */
    static String legacy(CardAnswer a) {
        ObjectNode n;
        try {
            n = a.card() == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(a.card().toJson());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("card " + a.card().name() + " is not JSON", e);
        }
        toast(n, a);
        return n.toString();
    }

    private static void toast(ObjectNode n, CardAnswer a) {
        n.putObject("toast").put("type", a.toastType()).put("content", a.toastZh())
                .putObject("i18n").put("zh_cn", a.toastZh()).put("en_us", a.toastEn());
    }
}
