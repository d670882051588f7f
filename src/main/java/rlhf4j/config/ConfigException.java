package rlhf4j.config;

/** A usage or configuration error (unknown key, wrong type, impossible value); the CLI maps it to exit code 2. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
