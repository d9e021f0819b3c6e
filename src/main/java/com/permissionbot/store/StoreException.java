package com.permissionbot.store;

/** A database call failed; the message names the statement, never the values bound to it. */
public final class StoreException extends RuntimeException {
    public StoreException(String what, Throwable cause) {
        super("store: " + what.replaceAll("\\s+", " ") + ": " + cause.getMessage(), cause);
    }
}
