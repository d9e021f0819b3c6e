package com.permissionbot.edge;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;

/**
 * The long connection's timing as the platform hands it out, in the endpoint's answer and in every pong (oapi-sdk-java
 * {@code ws/model/ClientConfig.java}): how many attempts per reconnect (-1 unlimited), the interval between them, the
 * random jitter, and how often to ping. A field that is missing or not a sensible number keeps its previous value (the
 * 2.5.3 SDK's {@code ws/Client.java} stored it as null and its reconnect died on it).
 */
record ServerTiming(int reconnectCount, Duration reconnectInterval, Duration reconnectNonce, Duration pingInterval) {

    /** What the platform gives, and what every SDK assumes before it has heard anything: 120 s, 30 s, 120 s, unlimited. */
    static final ServerTiming PLATFORM = new ServerTiming(-1, Duration.ofSeconds(120), Duration.ofSeconds(30), Duration.ofSeconds(120));

    /** This timing with every usable field of {@code config} ({@code {"ReconnectCount":…,"PingInterval":…}}) adopted. */
    ServerTiming merge(JsonNode config) {
        if (config == null || !config.isObject()) return this;
        return new ServerTiming(
                number(config, "ReconnectCount", -1, Integer.MAX_VALUE, reconnectCount),
                seconds(config, "ReconnectInterval", 0, reconnectInterval),
                seconds(config, "ReconnectNonce", 0, reconnectNonce),
                seconds(config, "PingInterval", 1, pingInterval));
    }

    private static Duration seconds(JsonNode config, String field, int min, Duration otherwise) {
        int s = number(config, field, min, 24 * 3600, -2);
        return s == -2 ? otherwise : Duration.ofSeconds(s);
    }

    private static int number(JsonNode config, String field, int min, int max, int otherwise) {
        JsonNode n = config.path(field);
        int v;
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            v = n.intValue();
        } else if (n.isTextual() && n.asText().trim().matches("-?\\d{1,9}")) {
            v = Integer.parseInt(n.asText().trim());
        } else {
            return otherwise;
        }
        return v < min || v > max ? otherwise : v;
    }
}
