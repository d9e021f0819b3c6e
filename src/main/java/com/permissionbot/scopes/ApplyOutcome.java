package com.permissionbot.scopes;

import com.permissionbot.domain.Quota;
import com.permissionbot.store.ApplyStart;

import java.time.Duration;
import java.util.List;

/**
 * How one press of Apply ended: the kind decides the card; code, msg and log_id are the platform's;
 * {@code swept} are the ungranted scopes the application covered; {@code quota} is the ledger afterwards;
 * {@code earlier} is the application that a cooldown waits on (who and when), when known; {@code leftOut} are the
 * swept scopes Feishu leaves out of an application (high-sensitivity), null when their levels are not known;
 * {@code newer} is, after a 212003, the ledger of a version published since the apply (null when there is none).
 */
public record ApplyOutcome(Kind kind, int code, String msg, String logId, Duration retryAfter,
                           List<String> swept, Quota quota, ApplyStart earlier, List<String> leftOut, Quota newer) {

    public ApplyOutcome(Kind kind, int code, String msg, String logId, Duration retryAfter, List<String> swept, Quota quota) {
        this(kind, code, msg, logId, retryAfter, swept, quota, null);
    }

    public ApplyOutcome(Kind kind, int code, String msg, String logId, Duration retryAfter, List<String> swept, Quota quota,
                        ApplyStart earlier) {
        this(kind, code, msg, logId, retryAfter, swept, quota, earlier, null, null);
    }

    /** Each outcome has its own card. */
    public enum Kind {
        /** 0: sent to the admin; one application spent. */
        SUCCESS,
        /** 212001: only high-sensitivity scopes remain; the admin grants them in the admin console. */
        ONLY_SUPER_SCOPES,
        /** 212002, or the bot's own fresh check: nothing left to ask for; no quota spent. */
        NOTHING_TO_APPLY,
        /** 212003: the 10 applications for this version are used up. */
        QUOTA_EXHAUSTED,
        /** 212004: the same request is already waiting for the admin. */
        DUPLICATE,
        /** 212100: the app is not installed in this tenant. */
        NOT_INSTALLED,
        /** 99991400 / HTTP 429: retry after {@code retryAfter}. */
        RATE_LIMITED,
        /** Network failure, timeout or 5xx: nobody can tell whether the platform received it. */
        UNCERTAIN,
        /** The fresh check before applying went unanswered (network, timeout, 5xx): nothing was sent, no quota spent. */
        NOT_SENT,
        /** The presser is not on the allow-list in bot-config.yaml. */
        NOT_ALLOWED,
        /**
         * An application that may have spent quota was made moments ago (cooldown in bot-config.yaml), or one is being
         * made right now; it already covers every missing scope.
         */
        COOLDOWN,
        /** Any other platform code. */
        FAILED
    }
}
