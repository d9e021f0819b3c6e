package com.permissionbot.approval;

import java.time.Duration;

/**
 * How "unsubscribe approval" ended. The chat's registration is removed first; the app's subscription on the
 * platform is turned off only when no other chat (and not bot-config.yaml) still wants the code. When that call was
 * made, {@code platformCalled} is set with the platform's code, msg and log_id.
 */
public record UnsubscribeOutcome(Kind kind, String approvalCode, int othersLeft, boolean inConfig, boolean platformCalled,
                                 int code, String msg, String logId, Duration retryAfter) {

    public enum Kind {
        /** The chat's registration was removed. */
        UNSUBSCRIBED,
        /** The chat was not subscribed to this code; nothing changed. */
        NOT_SUBSCRIBED,
        /** The code does not have the shape of an approval code; nothing was done. */
        INVALID_CODE
    }

    /** The platform call was made and did not succeed (1390007, "already unsubscribed", counts as success). */
    public boolean platformFailed() {
        return platformCalled && code != 0 && code != ApprovalService.CODE_SUBSCRIPTION_EXISTED;
    }
}
