package com.permissionbot.edge;

import com.permissionbot.chat.CardAnswer;

/** What the intake made of one request; each transport turns it into its own answer. */
public sealed interface Received {

    /** Stored durably for the workers (or a repeat of one stored before): acknowledge it. */
    record Stored(String eventId, boolean duplicate) implements Received {}

    /** A card callback: this answer goes back at once (within the platform's 3 s). */
    record Answered(String eventId, CardAnswer answer) implements Received {}

    /** A URL check: echo the challenge in plain text. */
    record Challenge(String challenge) implements Received {}

    /** An event of a type the bot does not handle: acknowledged and dropped. */
    record Ignored(String eventId, String type) implements Received {}

    /** The store could not take the event: not acknowledged, so the platform pushes it again. */
    record Unavailable(String eventId, String why) implements Received {}

    /** Refused, with the HTTP status a webhook answers and the reason that is logged (never a secret). */
    record Refused(int status, String reason, String eventId) implements Received {
        /** A short, bounded label for the rejection metric. */
        public String metricReason() {
            if (status == 413) return "too_large";
            if (status == 403) return "token";
            if (status == 401) return "signature";
            if (reason.contains("decrypt")) return "undecryptable";
            if (reason.contains("plaintext") || reason.contains("encrypted body")) return "encryption_mismatch";
            return "malformed";
        }
    }
}
