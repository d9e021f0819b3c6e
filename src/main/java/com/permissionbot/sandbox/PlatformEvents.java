package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Event and callback bodies as the platform sends them, for the emulated app and tenant: each body as on the page its
 * method cites, in the envelopes of https://open.feishu.cn/document/server-docs/event-subscription-guide/overview
 */
public final class PlatformEvents {

    /** A person in the tenant, with the three ids events carry. */
    public record Person(String openId, String unionId, String userId, String name) {
        public Person {
            Objects.requireNonNull(openId, "openId");
            Objects.requireNonNull(name, "name");
        }

        /** A person whose union and user ids are derived from the open_id. */
        public static Person of(String openId, String name) {
            String rest = openId.startsWith("ou_") ? openId.substring(3) : openId;
            return new Person(openId, "on_" + rest, rest, name);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final EmulatorConfig config;
    private final String verificationToken;

    public PlatformEvents(EmulatorConfig config, String verificationToken) {
        this.config = config;
        this.verificationToken = verificationToken;
    }

    /** A fresh 32-hex event id, like the platform's. */
    public static String newEventId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The text content of a message, as the JSON string {@code {"text":...}}. */
    public static String textContent(String text) {
        return Envelope.object().put("text", text).toString();
    }

    /** See https://open.feishu.cn/document/server-docs/im-v1/message/events/receive ; {@code mentioned} are @_user_1, @_user_2... */
    public String message(String eventId, ImMessage m, String chatType, Person sender, Person... mentioned) {
        ObjectNode root = header(eventId, "im.message.receive_v1", Long.toString(config.clock().millis()));
        ObjectNode ev = root.putObject("event");
        ObjectNode s = ev.putObject("sender");
        ids(s.putObject("sender_id"), sender);
        s.put("sender_type", "user").put("tenant_key", config.tenantKey());
        ObjectNode msg = ev.putObject("message");
        msg.put("message_id", m.messageId());
        if (m.rootId() != null) msg.put("root_id", m.rootId());
        if (m.parentId() != null) msg.put("parent_id", m.parentId());
        msg.put("create_time", Long.toString(m.createTime().toEpochMilli()))
                .put("update_time", Long.toString(m.updateTime().toEpochMilli()))
                .put("chat_id", m.chatId())
                .put("chat_type", chatType)
                .put("message_type", m.msgType())
                .put("content", m.content());
        if (mentioned.length > 0) {
            ArrayNode mentions = msg.putArray("mentions");
            for (int i = 0; i < mentioned.length; i++) {
                ObjectNode x = mentions.addObject().put("key", "@_user_" + (i + 1));
                ids(x.putObject("id"), mentioned[i]);
                x.put("name", mentioned[i].name()).put("tenant_key", config.tenantKey());
            }
        }
        return root.toString();
    }

    /** See https://open.feishu.cn/document/server-docs/group/chat-member/event/added-2 */
    public String botAdded(String eventId, String chatId, String chatName, Person operator) {
        ObjectNode root = header(eventId, "im.chat.member.bot.added_v1", Long.toString(config.clock().millis()));
        ObjectNode ev = root.putObject("event");
        ev.put("chat_id", chatId);
        ids(ev.putObject("operator_id"), operator);
        ev.put("external", false).put("operator_tenant_key", config.tenantKey()).put("name", chatName);
        ev.putObject("i18n_names").put("zh_cn", chatName).put("en_us", chatName);
        return root.toString();
    }

    /**
     * See https://open.feishu.cn/document/feishu-cards/card-callback-communication (schema 2.0, create_time in µs);
     * {@code formValue}: a submitted form's inputs by name, null for a button outside a form
     * (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container).
     */
    public String cardAction(String eventId, String token, String messageId, String chatId, Person operator,
                             JsonNode value, String elementName, JsonNode formValue) {
        ObjectNode root = header(eventId, "card.action.trigger", Long.toString(config.clock().millis() * 1000));
        ObjectNode ev = root.putObject("event");
        ObjectNode op = ev.putObject("operator");
        op.put("tenant_key", config.tenantKey()).put("user_id", operator.userId()).put("open_id", operator.openId())
                .put("union_id", operator.unionId());
        ev.put("token", token);
        ObjectNode action = ev.putObject("action");
        action.set("value", value == null ? Envelope.object() : value.deepCopy());
        action.put("tag", "button");
        if (formValue != null) action.set("form_value", formValue.deepCopy());
        if (elementName != null && !elementName.isEmpty()) action.put("name", elementName);
        ev.put("host", "im_message");
        ev.putObject("context").put("open_message_id", messageId).put("open_chat_id", chatId);
        return root.toString();
    }

    /** A schema 1.0 approval instance event; see https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event */
    public String approvalInstance(String uuid, String approvalCode, String instanceCode, String status, Instant at) {
        ObjectNode root = Envelope.object();
        root.put("ts", String.format(java.util.Locale.ROOT, "%d.%07d", at.getEpochSecond(), at.getNano() / 100))
                .put("uuid", uuid).put("token", verificationToken).put("type", "event_callback");
        ObjectNode ev = root.putObject("event");
        ev.put("app_id", config.appId()).put("tenant_key", config.tenantKey()).put("type", "approval_instance")
                .put("approval_code", approvalCode).put("instance_code", instanceCode).put("status", status);
        if ("REVERTED".equals(status)) {
            ev.put("operate_time", at.toEpochMilli());
        } else {
            ev.put("operate_time", Long.toString(at.toEpochMilli()));
        }
        ev.put("instance_operate_time", Long.toString(at.toEpochMilli()));
        return root.toString();
    }

    /** The request-URL check; see https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case */
    public String challenge(String challenge) {
        return Envelope.object().put("challenge", challenge).put("token", verificationToken)
                .put("type", "url_verification").toString();
    }

    private ObjectNode header(String eventId, String type, String createTime) {
        ObjectNode root = Envelope.object().put("schema", "2.0");
        root.putObject("header").put("event_id", eventId).put("token", verificationToken)
                .put("create_time", createTime).put("event_type", type)
                .put("tenant_key", config.tenantKey()).put("app_id", config.appId());
        return root;
    }

    private static void ids(ObjectNode n, Person p) {
        n.put("union_id", p.unionId()).put("user_id", p.userId()).put("open_id", p.openId());
    }
}
