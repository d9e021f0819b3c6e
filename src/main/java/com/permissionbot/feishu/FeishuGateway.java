package com.permissionbot.feishu;

import com.permissionbot.cards.Card;

import java.util.List;

/** The port to the Open Platform: every call the bot makes, with platform codes kept, never thrown. */
public interface FeishuGateway {

    /** Replies to a message with a card; {@code uuid} makes a repeat within 1 h a no-op. Value: the new message_id. */
    PlatformResult<String> replyCard(String messageId, Card card, String uuid);

    /** Sends a card to a chat; {@code uuid} as for reply. Value: the new message_id. */
    PlatformResult<String> sendCard(String chatId, Card card, String uuid);

    /** Replaces a sent card's content (the card must declare {@code update_multi}). */
    PlatformResult<Void> updateCard(String messageId, Card card);

    /** The app's declared scopes and their grant status in the tenant. */
    PlatformResult<List<ScopeGrant>> listScopes();

    /** Asks the tenant admin for every ungranted scope; counts against 10 applications per version. */
    PlatformResult<Void> applyScopes();

    PlatformResult<Void> subscribeApproval(String approvalCode);

    PlatformResult<Void> unsubscribeApproval(String approvalCode);

    PlatformResult<BotIdentity> botIdentity();

    /**
     * Fetches a new tenant_access_token, past the cache, to prove the app id and secret (the doctor's first check).
     * Value: the platform's clock, from the answer's {@code Date} header (null when it has none).
     */
    PlatformResult<java.time.Instant> freshToken();

    /** The app's online version id and its scopes' sensitivity levels (the applications API, 50/s). */
    PlatformResult<AppInfo> appInfo();

    /** One version of the app by its id: its number, such as {@code "1.0.3"} (the app_versions API, 100/min). */
    PlatformResult<AppVersion> appVersion(String versionId);
}
