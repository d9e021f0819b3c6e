package com.permissionbot.store;

import java.time.Instant;

/** The tenant's last application that may have spent quota: when, and who pressed Apply. */
public record ApplyStart(Instant at, String by) {}
