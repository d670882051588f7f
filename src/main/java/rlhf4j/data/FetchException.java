package rlhf4j.data;

/**
 * The environment could not provide data: a client (npm, mvn, tar) is missing or a fetch failed. The message is
 * one line that says what went wrong and how to fix it; the CLI maps it to exit code 1.
 */
public class FetchException extends RuntimeException {
    public FetchException(String message) {
        super(message);
    }

    public FetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
