package rlhf4j.rollout;

import java.util.Locale;

/**
 * How the per-token KL between the policy and the reference model is estimated from the log-probability
 * of the sampled token (Schulman, "Approximating KL divergence"). With {@code d = refLogp − logp}:
 * <ul>
 *   <li>{@link #K1}: {@code −d = logp − refLogp}; unbiased, but a single token can be negative;</li>
 *   <li>{@link #K3}: {@code (e^d − 1) − d}; also unbiased, and never negative.</li>
 * </ul>
 */
public enum KlEstimator {
    K1,
    K3;

    /** {@code "k1"} or {@code "k3"}, in any case; anything else throws {@link IllegalArgumentException}. */
    public static KlEstimator parse(String name) {
        if (name != null) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "k1":
                    return K1;
                case "k3":
                    return K3;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("unknown KL estimator '" + name + "' (expected k1 or k3)");
    }
}
