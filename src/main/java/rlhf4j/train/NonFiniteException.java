package rlhf4j.train;

/** The loss or a gradient became NaN or infinite; the run stops and the last good checkpoint stays. */
public class NonFiniteException extends RuntimeException {
    public NonFiniteException(String message) {
        super(message);
    }
}
