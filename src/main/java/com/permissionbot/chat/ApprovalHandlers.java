package com.permissionbot.chat;

import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.approval.ApprovalCards;
import com.permissionbot.approval.ApprovalEvents;
import com.permissionbot.approval.ApprovalService;
import com.permissionbot.approval.SubscribeOutcome;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.EventParser;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.scopes.ScopeStatus;

import java.time.Clock;
import java.util.UUID;

/**
 * The approval intents: "subscribe approval &lt;code&gt;" / "订阅审批 &lt;code&gt;",
 * "unsubscribe approval &lt;code&gt;" / "取消订阅审批 &lt;code&gt;", and "approval subscriptions" / "审批订阅".
 * A 99991672 answer is shown as a diagnosis with the Apply button that {@link ScopeHandlers} handles.
 */
public final class ApprovalHandlers implements Feature {
    /** The code is whatever follows the command, checked afterwards so a wrong one gets a helpful card. */
    static final String SUBSCRIBE = "(?:subscribe(?: to)?|follow) approvals?(?: definition)?(?: (.*))?"
            + "|(?:订阅|关注)审批(?:定义)?(?: ?(.*))?";
    static final String UNSUBSCRIBE = "(?:unsubscribe(?: from)?|unfollow) approvals?(?: definition)?(?: (.*))?"
            + "|取消(?:订阅|关注)审批(?:定义)?(?: ?(.*))?";
    static final String LIST = "(?:list )?approval subscriptions?|(?:my |our |list )?subscribed approvals"
            + "|审批订阅(?:列表)?|(?:查看|列出)?(?:已)?订阅的审批|(?:查看|列出)审批订阅";

    /** https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event */
    public static final String INSTANCE_EVENT = "approval_instance";

    private final ApprovalService approvals;
    private final ApprovalEvents events;
    private final ApprovalCards cards;
    private final ScopeService scopes;
    private final Clock clock;

    public ApprovalHandlers(ApprovalService approvals, ApprovalEvents events, ApprovalCards cards, ScopeService scopes, Clock clock) {
        this.approvals = approvals;
        this.events = events;
        this.cards = cards;
        this.scopes = scopes;
        this.clock = clock;
    }

    @Override
    public void register(Registry r) {
        r.intent("approval_subscribe", 40, SUBSCRIBE, new Registry.Help(
                        "**订阅审批 &#60;审批 code&#62;** / **取消订阅审批 &#60;code&#62;** / **审批订阅** — 把审批实例的状态变化推送到本会话",
                        "**subscribe approval &#60;code&#62;** / **unsubscribe approval &#60;code&#62;** / **approval subscriptions**"
                                + " — post approval status changes here"), this::subscribe)
                .intent("approval_unsubscribe", 41, UNSUBSCRIBE, this::unsubscribe)
                .intent("approval_subscriptions", 42, LIST, c -> cards.subscriptions(approvals.subscriptions(c.message().chatId())))
                .event(INSTANCE_EVENT, json -> EventParser.approvalInstance(json, clock.instant()), events::handle)
                .templates(ApprovalCards.TEMPLATES.toArray(String[]::new));
    }

    Card subscribe(Command c) {
        IncomingMessage m = c.message();
        SubscribeOutcome o = approvals.subscribe(m.tenantKey(), m.chatId(), m.senderOpenId(), c.argument());
        if (o.kind() != SubscribeOutcome.Kind.MISSING_SCOPE) return cards.subscribed(o);
        PlatformResult<ScopeStatus> status = scopes.status(m.tenantKey());
        return cards.missingScope(o, status.ok() ? status.value() : null, scopes.quota(m.tenantKey()),
                UUID.randomUUID().toString().substring(0, 8));
    }

    Card unsubscribe(Command c) {
        IncomingMessage m = c.message();
        return cards.unsubscribed(approvals.unsubscribe(m.tenantKey(), m.chatId(), m.senderOpenId(), c.argument()));
    }
}
