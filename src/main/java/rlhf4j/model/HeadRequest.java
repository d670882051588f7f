package rlhf4j.model;

/**
 * What a pass computes on top of the trunk ({@link GptDefinition#heads}), for each row n of the
 * flattened batch (N = B·T): the log-probability of the next token under logits / temperature, the
 * entropy of that distribution, the scalar head's value, and the logits themselves.
 *
 * @param targets     next-token ids [N]; null: no log-probabilities
 * @param temperature the logits are divided by it (1 for the LM loss; the sampling temperature for PPO)
 * @param entropy     also the entropy of each row's next-token distribution
 * @param values      also the scalar head's value at each position (reward and value models)
 * @param logits      also the [N, V] logits (divided by the temperature) as an array
 */
public record HeadRequest(int[] targets, double temperature, boolean entropy, boolean values, boolean logits) {
    public HeadRequest {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (targets == null && !entropy && !values && !logits) {
            throw new IllegalArgumentException("a pass must compute something: targets, entropy, values or logits");
        }
    }

    /** The next-token log-probabilities of the LM loss. */
    public static HeadRequest lm(int[] targets) {
        return new HeadRequest(targets, 1.0, false, false, false);
    }

    /** The policy's log-probabilities at the sampling temperature, with the entropy if asked. */
    public static HeadRequest policy(int[] targets, double temperature, boolean entropy) {
        return new HeadRequest(targets, temperature, entropy, false, false);
    }

    /** The scalar head at every position. */
    public static HeadRequest scalar() {
        return new HeadRequest(null, 1.0, false, true, false);
    }

    /** This request, with the logits as an output too. */
    public HeadRequest withLogits() {
        return new HeadRequest(targets, temperature, entropy, values, true);
    }

    /** Whether the tied LM head runs. */
    public boolean usesLmHead() {
        return targets != null || entropy || logits;
    }

    /** Which graph this request needs: two requests with one key build the same graph. */
    String graphKey() {
        return (targets != null ? "logp" : "") + (entropy ? "+entropy" : "") + (values ? "+values" : "")
                + (logits ? "+logits" : "") + "/t" + temperature;
    }
}
