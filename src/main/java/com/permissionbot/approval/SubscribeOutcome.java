package com.permissionbot.approval;

import com.permissionbot.store.ApprovalSubscription;

import java.time.Duration;

/**
 * How "subscribe approval" ended: the kind decides the card; code, msg and log_id are the platform's last answer,
 * {@code tries} how many calls were made; {@code earlier} is this chat's existing registration, if it had one.
 */
public record SubscribeOutcome(Kind kind, String approvalCode, int code, String msg, String logId, Duration retryAfter,
                               int tries, ApprovalSubscription earlier) {

    /** https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe */
    public enum Kind {
        /** 0: the app now receives this definition's events; the chat is registered. */
        SUBSCRIBED,
        /** 1390007: the app was already subscribed; the chat is registered all the same. */
        ALREADY_SUBSCRIBED,
        /** The code does not have the shape of an approval code; nothing was called. */
        INVALID_CODE,
        /** 1390001 param is invalid. */
        PARAM_INVALID,
        /** 1390002 approval code not found. */
        NOT_FOUND,
        /** 1395001 on every try. */
        SERVICE_ERROR,
        /** 99991672: the app lacks approval:approval or approval:definition. */
        MISSING_SCOPE,
        /** 99991400 / HTTP 429: retry after {@code retryAfter}. */
        RATE_LIMITED,
        /** No answer (network, timeout, 5xx) on every try: nobody can tell whether it went through. */
        UNCERTAIN,
        /** Any other code. */
        FAILED
    }

    /** The chat is registered for this code's events. */
    public boolean registered() {
        return kind == Kind.SUBSCRIBED || kind == Kind.ALREADY_SUBSCRIBED;
    }
}
