package rlhf4j.rollout;

import java.util.Random;
import rlhf4j.loss.Losses;

/**
 * The scalar maths of RL on sampled responses, on plain arrays: per-token KL and rewards, GAE, whitening,
 * explained variance and the diagnostics PPO and GRPO log (approximate KL, clipped share). The losses and
 * their derivatives are in {@link rlhf4j.loss.Losses}; these are the per-token numbers around them.
 *
 * <p>A rollout batch is B responses of varying length, held as a ragged {@code double[B][]} whose row
 * {@code b} has one entry per response token ({@code L_b ≥ 1}); arrays passed together must have the
 * same shape. Every method is pure: inputs are never modified and arrays returned are new.
 */
public final class RolloutMath {
    /** Added to the variance before the square root in {@link #whiten}, as TRL does. */
    public static final double WHITEN_EPS = 1e-8;

    private RolloutMath() {}

    /** Returned by {@link #gae}: advantages {@code A_t} and returns {@code R_t = A_t + V_t}, both [B][L_b]. */
    public record Gae(double[][] advantages, double[][] returns) {}

    /**
     * Per-token KL estimate between the policy and the reference model from the log-probabilities of the
     * sampled tokens. With {@code d = ref − logp}: k1 = {@code logp − ref}; k3 = {@code (e^d − 1) − d ≥ 0}.
     *
     * @param logp    [B][L_b] policy log-probabilities
     * @param refLogp [B][L_b] reference-model log-probabilities
     * @return [B][L_b] the KL estimate of each token
     */
    public static double[][] klPerToken(double[][] logp, double[][] refLogp, KlEstimator est) {
        requireSameShape(logp, refLogp, "logp", "refLogp");
        if (est == null) {
            throw new IllegalArgumentException("KL estimator is null");
        }
        double[][] kl = new double[logp.length][]; // [B][L_b]
        for (int b = 0; b < logp.length; b++) {
            kl[b] = new double[logp[b].length];
            for (int t = 0; t < logp[b].length; t++) {
                if (est == KlEstimator.K1) {
                    kl[b][t] = logp[b][t] - refLogp[b][t];
                } else {
                    double d = refLogp[b][t] - logp[b][t];
                    // expm1 keeps e^d − 1 accurate for small d; the max only guards rounding below 0
                    kl[b][t] = Math.max(0.0, Losses.k3(d));
                }
            }
        }
        return kl;
    }

    /**
     * Per-token rewards: {@code r_t = −β·kl_t}, plus {@code scores[b]} (the reward-model score) on the
     * last token {@code t = L_b − 1} of row {@code b}.
     *
     * @param kl     [B][L_b] per-token KL
     * @param scores [B] one score per response
     * @return [B][L_b]
     */
    public static double[][] rewards(double[][] kl, double beta, double[] scores) {
        requireRagged(kl, "kl");
        if (scores == null || scores.length != kl.length) {
            throw new IllegalArgumentException("scores: expected " + kl.length + " entries, got "
                    + (scores == null ? "null" : scores.length));
        }
        double[][] r = new double[kl.length][]; // [B][L_b]
        for (int b = 0; b < kl.length; b++) {
            int len = kl[b].length;
            r[b] = new double[len];
            for (int t = 0; t < len; t++) {
                r[b][t] = -beta * kl[b][t];
            }
            r[b][len - 1] += scores[b];
        }
        return r;
    }

    /**
     * Generalised advantage estimation, each row on its own, from the last token back:
     * {@code δ_t = r_t + γ·V_{t+1} − V_t} with {@code V_{L_b} = 0} (the response has ended),
     * {@code A_t = δ_t + γλ·A_{t+1}} with {@code A_{L_b} = 0}, and returns {@code R_t = A_t + V_t}.
     *
     * @param rewards [B][L_b] per-token rewards
     * @param values  [B][L_b] value estimates of the rollout
     */
    public static Gae gae(double[][] rewards, double[][] values, double gamma, double lam) {
        requireSameShape(rewards, values, "rewards", "values");
        double[][] adv = new double[rewards.length][]; // [B][L_b]
        double[][] ret = new double[rewards.length][]; // [B][L_b]
        for (int b = 0; b < rewards.length; b++) {
            int len = rewards[b].length;
            adv[b] = new double[len];
            ret[b] = new double[len];
            double nextValue = 0.0;
            double nextAdv = 0.0;
            for (int t = len - 1; t >= 0; t--) {
                double delta = rewards[b][t] + gamma * nextValue - values[b][t];
                double a = delta + gamma * lam * nextAdv;
                adv[b][t] = a;
                ret[b][t] = a + values[b][t];
                nextValue = values[b][t];
                nextAdv = a;
            }
        }
        return new Gae(adv, ret);
    }

    /**
     * Whitening over all tokens of the batch (TRL's {@code masked_whiten}): with {@code n} tokens, mean
     * {@code μ} and unbiased variance {@code σ² = Σ(x − μ)²/(n − 1)} ({@code 0} when {@code n = 1}),
     * {@code y = (x − μ)/√(σ² + 1e-8)}, plus {@code μ} again when {@code shiftMean} is false (only the
     * scale changes).
     *
     * @param x [B][L_b]
     * @return [B][L_b]
     */
    public static double[][] whiten(double[][] x, boolean shiftMean) {
        requireRagged(x, "x");
        long n = count(x);
        double mu = mean(x);
        double variance = n > 1 ? sumSquaredDeviations(x, mu) / (n - 1) : 0.0;
        double scale = 1.0 / Math.sqrt(variance + WHITEN_EPS);
        double[][] y = new double[x.length][]; // [B][L_b]
        for (int b = 0; b < x.length; b++) {
            y[b] = new double[x[b].length];
            for (int t = 0; t < x[b].length; t++) {
                double w = (x[b][t] - mu) * scale;
                y[b][t] = shiftMean ? w : w + mu;
            }
        }
        return y;
    }

    /**
     * How much of the variance of the returns the value estimates explain, over all tokens:
     * {@code 1 − Var(R − V)/Var(R)} with population variances; NaN when {@code Var(R) = 0} (all returns
     * equal). 1 is perfect, 0 no better than predicting the mean, negative worse than that.
     *
     * @param values  [B][L_b]
     * @param returns [B][L_b]
     */
    public static double explainedVariance(double[][] values, double[][] returns) {
        requireSameShape(values, returns, "values", "returns");
        double varReturns = populationVariance(returns);
        if (varReturns == 0.0) {
            return Double.NaN;
        }
        double[][] residual = new double[returns.length][]; // [B][L_b]
        for (int b = 0; b < returns.length; b++) {
            residual[b] = new double[returns[b].length];
            for (int t = 0; t < returns[b].length; t++) {
                residual[b][t] = returns[b][t] - values[b][t];
            }
        }
        return 1.0 - populationVariance(residual) / varReturns;
    }

    /**
     * Mean over all tokens: {@code Σ_b Σ_t x[b][t] / Σ_b L_b}.
     *
     * @param x [B][L_b]
     */
    public static double mean(double[][] x) {
        requireRagged(x, "x");
        double sum = 0.0;
        for (double[] row : x) {
            for (double v : row) {
                sum += v;
            }
        }
        return sum / count(x);
    }

    /**
     * Sum of each row: {@code out[b] = Σ_t x[b][t]} (e.g. the KL of a whole response).
     *
     * @param x [B][L_b]
     * @return [B]
     */
    public static double[] rowSums(double[][] x) {
        requireRagged(x, "x");
        double[] out = new double[x.length]; // [B]
        for (int b = 0; b < x.length; b++) {
            double sum = 0.0;
            for (double v : x[b]) {
                sum += v;
            }
            out[b] = sum;
        }
        return out;
    }

    /** A Fisher–Yates shuffle of 0 … n − 1 drawn from {@code rng}: the order of an RL step's minibatches. */
    public static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Added to a group's standard deviation before dividing by it, as TRL's GRPO does. */
    public static final double GROUP_STD_EPS = 1e-4;

    /**
     * GRPO's advantages, one per response: {@code (r − mean of its group) / (std of its group + ε)}, or without
     * the division ({@code scale} false, Dr. GRPO). The rewards come in groups of {@code groupSize} consecutive
     * responses to one prompt; std is the sample standard deviation (n − 1), as TRL computes it. A group whose
     * rewards are all equal has advantage 0 everywhere and teaches nothing: {@code flatGroups} counts them.
     */
    public record GroupAdvantages(double[] advantages, int flatGroups) {}

    public static GroupAdvantages groupAdvantages(double[] rewards, int groupSize, boolean scale) {
        if (groupSize < 2 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not make groups of " + groupSize
                    + " (at least 2)");
        }
        double[] adv = new double[rewards.length];
        int flat = 0;
        for (int g = 0; g < rewards.length; g += groupSize) {
            double mean = 0;
            for (int i = g; i < g + groupSize; i++) {
                mean += rewards[i] / groupSize;
            }
            double squares = 0;
            boolean equal = true;
            for (int i = g; i < g + groupSize; i++) {
                squares += (rewards[i] - mean) * (rewards[i] - mean);
                equal &= rewards[i] == rewards[g];
            }
            if (equal) {
                flat++;                                   // exactly 0, not (r − mean) rounding to ±1e-17
                continue;
            }
            double std = Math.sqrt(squares / (groupSize - 1));
            for (int i = g; i < g + groupSize; i++) {
                adv[i] = scale ? (rewards[i] - mean) / (std + GROUP_STD_EPS) : rewards[i] - mean;
            }
        }
        return new GroupAdvantages(adv, flat);
    }

    /**
     * Whether the clipped term of {@link rlhf4j.loss.Losses#clippedSurrogate} is the strictly smaller one, so the token
     * contributes no policy gradient: {@code (A > 0 ∧ ρ > 1 + ε) ∨ (A < 0 ∧ ρ < 1 − ε)}.
     */
    public static boolean isClipped(double ratio, double adv, double clip) {
        requireClip(clip, "clip");
        return Losses.isClipped(ratio, adv, clip);
    }

    /** Approximate KL between the current and the rollout policy on one token: {@code ½·(logp − oldLogp)²}. */
    public static double approxKl(double logp, double oldLogp) {
        double d = logp - oldLogp;
        return 0.5 * d * d;
    }

    /** Population variance over all tokens; exactly 0 when every entry is equal. */
    private static double populationVariance(double[][] x) {
        double first = x[0][0];
        boolean constant = true;
        for (double[] row : x) {
            for (double v : row) {
                constant &= v == first;
            }
        }
        if (constant) {
            return 0.0;
        }
        return sumSquaredDeviations(x, mean(x)) / count(x);
    }

    private static double sumSquaredDeviations(double[][] x, double mu) {
        double sum = 0.0;
        for (double[] row : x) {
            for (double v : row) {
                double d = v - mu;
                sum += d * d;
            }
        }
        return sum;
    }

    private static long count(double[][] x) {
        long n = 0;
        for (double[] row : x) {
            n += row.length;
        }
        return n;
    }

    private static void requireClip(double clip, String name) {
        if (!(clip >= 0.0) || Double.isInfinite(clip)) {
            throw new IllegalArgumentException(name + " must be finite and ≥ 0, got " + clip);
        }
    }

    /** A non-empty batch whose rows are non-null and non-empty. */
    private static void requireRagged(double[][] x, String name) {
        if (x == null || x.length == 0) {
            throw new IllegalArgumentException(name + ": empty batch");
        }
        for (int b = 0; b < x.length; b++) {
            if (x[b] == null || x[b].length == 0) {
                throw new IllegalArgumentException(name + ": row " + b + " is empty (every response has ≥ 1 token)");
            }
        }
    }

    private static void requireSameShape(double[][] a, double[][] b, String nameA, String nameB) {
        requireRagged(a, nameA);
        requireRagged(b, nameB);
        if (a.length != b.length) {
            throw new IllegalArgumentException(nameA + " has " + a.length + " rows but " + nameB + " has " + b.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new IllegalArgumentException("row " + i + ": " + nameA + " has " + a[i].length
                        + " tokens but " + nameB + " has " + b[i].length);
            }
        }
    }
}
