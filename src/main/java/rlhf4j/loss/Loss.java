package rlhf4j.loss;

/**
 * A loss's value and its derivative with respect to each head output it was computed from, one
 * entry per row of the flattened batch [N]; null for an output the loss does not read. An engine
 * seeds its backward pass with these.
 */
public record Loss(double value, double[] dLogp, double[] dEntropy, double[] dValues) {
    /** A loss of the next-token log-probabilities alone. */
    public static Loss ofLogp(double value, double[] dLogp) {
        return new Loss(value, dLogp, null, null);
    }

    /** A loss of the scalar head's values alone. */
    public static Loss ofValues(double value, double[] dValues) {
        return new Loss(value, null, null, dValues);
    }
}
