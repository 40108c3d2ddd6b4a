// A configuration error: one sentence naming the setting (file path or flag), the bad value and what is allowed.
package dev.tapover.config;

/** Thrown while reading or validating a configuration; the CLI prints the message and exits 78 (EX_CONFIG). */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String key;

    /**
     * @param key     where the error is, e.g. {@code groups[0].policy.failback}, or {@code --failback}; may be empty
     * @param message the whole sentence, already naming {@code key}
     */
    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    public ConfigException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The setting's path in the file or the flag that set it; empty when the error is not about one setting. */
    public String key() {
        return key;
    }
}
