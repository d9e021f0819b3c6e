package com.permissionbot.config;

import java.time.Duration;

/**
 * How events and card callbacks reach the bot ({@code feishu.transport}, {@code FEISHU_TRANSPORT}): pushed to the
 * webhook routes, or over the long connection the bot opens (README, Choosing a transport), with its own timing:
 * how long a pong may take, the random wait before a reconnect, the first wait after a failed attempt (doubling up to
 * the platform's ReconnectInterval), and how long /healthz tolerates being without a connection.
 */
public record Transport(boolean websocket, Duration pongTimeout, Duration reconnectJitter, Duration retryFirst,
                        Duration unhealthyAfter) {

    public static final String WEBHOOK = "webhook";
    public static final String WEBSOCKET = "websocket";

    /** The webhook, with the long connection's defaults (unused). */
    public static Transport webhook() {
        return new Transport(false, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(120));
    }

    /** {@code webhook} or {@code websocket}, as in the configuration. */
    public String label() {
        return websocket ? WEBSOCKET : WEBHOOK;
    }
}
