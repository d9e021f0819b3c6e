package com.permissionbot.config;

/**
 * A configuration value that is missing or wrong; the message names the key and the problem in one line, and
 * {@link #file()} the configuration file that was read, when one was.
 */
public final class ConfigException extends RuntimeException {
    private final String file;

    /** {@code key}: the dotted key, or empty when the problem is the file as a whole. */
    public ConfigException(String key, String problem) {
        super(key.isEmpty() ? problem : key + ": " + problem, null, false, false);
        this.file = null;
    }

    private ConfigException(ConfigException problem, String file) {
        super(problem.getMessage(), null, false, false);
        this.file = file;
    }

    /** The same problem, found while reading {@code file} (a path, or what stands for the packaged default). */
    public ConfigException in(String file) {
        return new ConfigException(this, file);
    }

    /** The file read, or null when the problem is not in a file. */
    public String file() {
        return file;
    }

    /** The one line an operator sees: {@code configuration error in <file>: <key>: <problem>}. */
    public String line() {
        return "configuration error" + (file == null ? "" : " in " + file) + ": " + getMessage();
    }
}
