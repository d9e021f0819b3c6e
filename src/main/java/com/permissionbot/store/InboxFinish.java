package com.permissionbot.store;

import java.time.Instant;

/** A handled row to mark done or failed, if it is still this owner's. */
public record InboxFinish(long id, String owner, String status, String error, Instant at) {}
