package com.permissionbot.store;

import java.time.Instant;

/**
 * The result of claiming a card click: {@code fresh} for the first claim (or a takeover of one whose handler died),
 * else the earlier click's state: finished with its answer, or still running until {@code deadline}, with the
 * answer to give ({@code response}) if it never reports back.
 */
public record ActionClaim(boolean fresh, boolean finished, ClickAnswer response, Instant deadline) {}
