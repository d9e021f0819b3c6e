package com.permissionbot.store;

import java.time.Instant;
import java.util.Map;

/**
 * What one running process last said of its transport, so the doctor (in chat, or run beside the bot) sees every
 * replica: {@code connected} is null for webhooks (nothing to connect); {@code since} is when it last connected or
 * lost the connection; {@code lastEvent} the last authenticated request; {@code refused} the requests refused in the
 * hour before {@code reportedAt}, by reason; {@code stopped} why the long connection gave up, or null.
 */
public record TransportReport(String owner, String transport, Boolean connected, Instant since, Instant lastEvent,
                              Map<String, Integer> refused, String stopped, Instant reportedAt) {
    public TransportReport {
        refused = Map.copyOf(refused);
    }
}
