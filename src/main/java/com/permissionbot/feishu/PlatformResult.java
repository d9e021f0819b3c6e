package com.permissionbot.feishu;

import java.time.Duration;

/**
 * The platform's answer to one call: {@code code} 0 is success, {@code logId} is for support, {@code retryAfter}
 * is set when rate limited. A call that never got an answer has code {@link #NETWORK}.
 */
public record PlatformResult<T>(int code, String msg, String logId, int httpStatus, Duration retryAfter, T value) {
    /** No answer: connect failure, timeout, or an unreadable response; the platform may or may not have acted. */
    public static final int NETWORK = -1;
    public static final int RATE_LIMITED = 99991400;
    /** The token request was refused with no code the bot could read. */
    public static final int CREDENTIALS_REFUSED = -2;

    /**
     * The app id or secret was refused when fetching a token: 10003 invalid app id, 10014/10015/99991543 wrong secret
     * (https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code); nothing else was sent.
     */
    public boolean credentialsRefused() {
        return code == CREDENTIALS_REFUSED || code == 10003 || code == 10012 || code == 10013 || code == 10014 || code == 10015
                || code == 99991543;
    }

    public boolean ok() {
        return code == 0;
    }

    public boolean rateLimited() {
        return code == RATE_LIMITED || httpStatus == 429;
    }

    /**
     * The per-chat / per-user message limit (5 QPS, 230020; 11232/11233 on the message service): wait a second.
     * https://open.feishu.cn/document/server-docs/im-v1/message/create
     */
    public boolean chatRateLimited() {
        return code == 230020 || code == 11232 || code == 11233;
    }

    /** True when nobody can tell whether the platform received the call (network failure or a 5xx). */
    public boolean uncertain() {
        return code == NETWORK || httpStatus >= 500;
    }

    public static <T> PlatformResult<T> network(String why) {
        return new PlatformResult<>(NETWORK, why, "", 0, null, null);
    }

    public <U> PlatformResult<U> withValue(U v) {
        return new PlatformResult<>(code, msg, logId, httpStatus, retryAfter, v);
    }
}
