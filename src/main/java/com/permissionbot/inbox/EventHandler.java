package com.permissionbot.inbox;

import com.permissionbot.store.InboxRow;

/** Handles one acknowledged event of a given type; a thrown exception marks the row failed. */
@FunctionalInterface
public interface EventHandler {
    void handle(InboxRow row) throws Exception;
}
