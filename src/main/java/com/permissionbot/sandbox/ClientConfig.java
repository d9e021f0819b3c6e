package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The timing the platform hands a long-connection client, in seconds, in the endpoint's answer and in every pong
 * ({@code ws/model/ClientConfig.java} in oapi-sdk-java).
 */
public record ClientConfig(int reconnectCount, int reconnectInterval, int reconnectNonce, int pingInterval) {

    public ClientConfig {
        if (pingInterval < 1) throw new IllegalArgumentException("pingInterval must be at least 1 s (a client pings every pingInterval)");
        if (reconnectInterval < 0 || reconnectNonce < 0) {
            throw new IllegalArgumentException("reconnectInterval and reconnectNonce cannot be negative");
        }
    }

    /** The values the platform gives (and the SDKs assume before any config): unlimited retries, 120 s, 30 s jitter, 120 s. */
    public static ClientConfig platform() {
        return new ClientConfig(-1, 120, 30, 120);
    }

    public ClientConfig withPingInterval(int seconds) {
        return new ClientConfig(reconnectCount, reconnectInterval, reconnectNonce, seconds);
    }

    public ClientConfig withReconnect(int count, int intervalSeconds, int nonceSeconds) {
        return new ClientConfig(count, intervalSeconds, nonceSeconds, pingInterval);
    }

    /** All four fields, always: the 2.5.3 SDK ({@code ws/Client.java}) stores a missing one as null and its reconnect dies. */
    ObjectNode toJson() {
        return Envelope.object().put("ReconnectCount", reconnectCount).put("ReconnectInterval", reconnectInterval)
                .put("ReconnectNonce", reconnectNonce).put("PingInterval", pingInterval);
    }
}
