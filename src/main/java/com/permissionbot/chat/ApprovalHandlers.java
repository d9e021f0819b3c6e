package com.permissionbot.chat;

import com.permissionbot.domain.IncomingMessage;
import com.permissionbot.approval.ApprovalCards;
import com.permissionbot.approval.ApprovalService;
import com.permissionbot.approval.SubscribeOutcome;
import com.permissionbot.cards.Card;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.scopes.ScopeStatus;

import java.text.Normalizer;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The approval intents of design §1: "subscribe approval &lt;code&gt;" / "订阅审批 &lt;code&gt;",
 * "unsubscribe approval &lt;code&gt;" / "取消订阅审批 &lt;code&gt;", and "approval subscriptions" / "审批订阅".
 * A 99991672 answer is shown as a diagnosis with the Apply button that {@link ScopeHandlers} handles.
 */
public final class ApprovalHandlers {
    /** The code is whatever follows the command, checked afterwards so a wrong one gets a helpful card. */
    static final String SUBSCRIBE = "(?:subscribe(?: to)?|follow) approvals?(?: definition)?(?: (.*))?"
            + "|(?:订阅|关注)审批(?:定义)?(?: ?(.*))?";
    static final String UNSUBSCRIBE = "(?:unsubscribe(?: from)?|unfollow) approvals?(?: definition)?(?: (.*))?"
            + "|取消(?:订阅|关注)审批(?:定义)?(?: ?(.*))?";
    static final String LIST = "(?:list )?approval subscriptions?|(?:my |our |list )?subscribed approvals"
            + "|审批订阅(?:列表)?|(?:查看|列出)?(?:已)?订阅的审批|(?:查看|列出)审批订阅";

    private final ApprovalService approvals;
    private final ApprovalCards cards;
    private final ScopeService scopes;

    public ApprovalHandlers(ApprovalService approvals, ApprovalCards cards, ScopeService scopes) {
        this.approvals = approvals;
        this.cards = cards;
        this.scopes = scopes;
    }

    public void register(Conversation conversation) {
        conversation.on("approval_subscribe", SUBSCRIBE, this::subscribe);
        conversation.on("approval_unsubscribe", UNSUBSCRIBE, this::unsubscribe);
        conversation.on("approval_subscriptions", LIST, (m, g) -> cards.subscriptions(approvals.subscriptions(m.chatId())));
    }

    Card subscribe(IncomingMessage m, Matcher g) {
        String code = code(m.text(), g);
        SubscribeOutcome o = approvals.subscribe(m.tenantKey(), m.chatId(), m.senderOpenId(), code);
        if (o.kind() != SubscribeOutcome.Kind.MISSING_SCOPE) return cards.subscribed(o);
        PlatformResult<ScopeStatus> status = scopes.status(m.tenantKey());
        return cards.missingScope(o, status.ok() ? status.value() : null, scopes.quota(m.tenantKey()),
                UUID.randomUUID().toString().substring(0, 8));
    }

    Card unsubscribe(IncomingMessage m, Matcher g) {
        return cards.unsubscribed(approvals.unsubscribe(m.tenantKey(), m.chatId(), m.senderOpenId(), code(m.text(), g)));
    }

    /**
     * The code as the user typed it: the router lower-cases what it matches, and approval codes are case-sensitive,
     * so the matched text is found again (ignoring case) in the message after the same width folding.
     */
    static String code(String raw, Matcher g) {
        String matched = null;
        for (int i = 1; i <= g.groupCount(); i++) {
            if (g.group(i) != null) matched = g.group(i).trim();
        }
        if (matched == null || matched.isEmpty()) return "";
        String folded = Normalizer.normalize(raw == null ? "" : raw, Normalizer.Form.NFKC);
        Matcher original = Pattern.compile(Pattern.quote(matched), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE).matcher(folded);
        String found = null;
        while (original.find()) found = original.group();
        return found != null ? found : matched;
    }
}
