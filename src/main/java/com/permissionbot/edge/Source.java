package com.permissionbot.edge;

/** Where a decrypted request came from, which decides what already authenticated it. */
public enum Source {
    /** A webhook request whose signature was checked (or an app run without an encrypt key): the token must match too. */
    WEBHOOK,
    /** A webhook request without a signature although an encrypt key is set: only a URL check may come like this. */
    WEBHOOK_UNSIGNED,
    /** The legacy card callback, authenticated by its SHA-1 signature over the verification token. */
    LEGACY_CARD,
    /** The long connection, authenticated once when it was opened (app id and secret); payloads carry no secret. */
    LONG_CONNECTION
}
