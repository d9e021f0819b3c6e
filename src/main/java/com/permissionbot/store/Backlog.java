package com.permissionbot.store;

import java.time.Instant;

/** Work not finished yet: events stored but not handled, cards owed but not delivered; the oldest of each, or null. */
public record Backlog(long inbox, Instant oldestInbox, long outbox, Instant oldestOutbox) {}
