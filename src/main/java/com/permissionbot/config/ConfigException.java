package com.permissionbot.config;

/** A configuration value that is missing or wrong; the message names the key and the problem in one line. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
    }
}
