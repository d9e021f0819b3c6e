package com.permissionbot.doctor;

import java.util.ArrayList;
import java.util.List;

/**
 * The scopes the bot itself needs, per thing it does: any one scope of each need suffices, the first is the one to add
 * when none is declared. {@code needed} is false for what the configuration does not use (then a gap is only a note).
 */
record OwnScopes(String zh, String en, List<String> anyOf, boolean needed) {

    /** For this configuration: the app version read from the platform unless configured, approvals when subscribed at start-up. */
    static List<OwnScopes> forConfig(boolean versionConfigured, boolean approvalsConfigured) {
        List<OwnScopes> all = new ArrayList<>(List.of(
                // https://open.feishu.cn/document/server-docs/im-v1/message/create and …/reply
                new OwnScopes("发送和回复消息", "send and reply to messages",
                        List.of("im:message:send_as_bot", "im:message", "im:message:send"), true),
                // https://open.feishu.cn/document/server-docs/im-v1/message-card/patch
                new OwnScopes("更新已发送的卡片", "update the cards it sent",
                        List.of("im:message:send_as_bot", "im:message", "im:message:update"), true),
                // https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
                new OwnScopes("接收单聊消息", "receive messages in 1:1 chats",
                        List.of("im:message.p2p_msg:readonly", "im:message.p2p_msg"), true),
                new OwnScopes("接收群聊中 @ 机器人的消息", "receive group messages that @mention it",
                        List.of("im:message.group_at_msg:readonly", "im:message.group_at_msg", "im:message.group_msg",
                                "im:message.group_msg:readonly"), true),
                // https://open.feishu.cn/document/server-docs/group/chat-member/event/added-2
                new OwnScopes("知道自己被拉进了群（发欢迎卡片）", "know when it is added to a group (the welcome card)",
                        List.of("im:chat:readonly", "im:chat.members:bot_access", "im:chat"), true),
                // https://open.feishu.cn/document/server-docs/application-v6/application/get and …/get-2
                new OwnScopes("读取应用信息（在线版本，额度按版本计）", "read the app's info (its online version, which the quota counts by)",
                        List.of("application:application:self_manage", "admin:app.info:readonly"), !versionConfigured),
                new OwnScopes("读取应用版本号", "read the app's version number",
                        List.of("application:application:self_manage", "application:application.app_version:readonly"),
                        !versionConfigured)));
        // https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe
        all.add(new OwnScopes("接收审批实例事件", "receive approval instance events",
                List.of("approval:approval:readonly", "approval:approval"), approvalsConfigured));
        all.add(new OwnScopes("订阅审批定义", "subscribe to approval definitions",
                List.of("approval:approval", "approval:definition"), approvalsConfigured));
        return all;
    }
}
