package com.permissionbot.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The platform's ClientConfig, adopted field by field: a missing or nonsensical field keeps the value before
 * (oapi-sdk-java {@code ws/Client.java} stores null there and its reconnect dies on it).
 */
class ServerTimingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ServerTiming merge(ServerTiming t, String json) throws Exception {
        return t.merge(JSON.readTree(json));
    }

    @Test
    void every_field_is_adopted() throws Exception {
        assertEquals(new ServerTiming(3, Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(7)),
                merge(ServerTiming.PLATFORM, "{\"ReconnectCount\":3,\"ReconnectInterval\":5,\"ReconnectNonce\":2,\"PingInterval\":7}"));
    }

    @Test
    void a_missing_null_or_nonsensical_field_keeps_the_value_before() throws Exception {
        ServerTiming before = new ServerTiming(-1, Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(7));
        assertEquals(before.pingInterval(), merge(before, "{\"ReconnectCount\":4}").pingInterval());
        assertEquals(4, merge(before, "{\"ReconnectCount\":4}").reconnectCount());
        assertEquals(before, merge(before, "{\"PingInterval\":null,\"ReconnectInterval\":-3,\"ReconnectNonce\":\"soon\"}"));
        assertEquals(before, merge(before, "{\"PingInterval\":0}"), "a ping every 0 s is no interval");
        assertEquals(before, merge(before, "{\"PingInterval\":1.5}"));
        assertEquals(before, merge(before, "[]"));
        assertEquals(before, before.merge(null));
        assertEquals(Duration.ofSeconds(9), merge(before, "{\"PingInterval\":\"9\"}").pingInterval(), "a number in a string");
    }
}
