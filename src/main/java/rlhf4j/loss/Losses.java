package rlhf4j.loss;

import java.util.Arrays;
import java.util.List;

/**
 * Every training objective of the project, in one place, over the head outputs of a pass (next-token
 * log-probabilities, entropies, scalar values; one entry per row of the flattened batch [N]) and
 * per-row weights that carry the masks. Each returns its value and its exact derivative with respect
 * to those outputs ({@link Loss}); an engine carries the derivative back through the model, so these
 * functions are the same for both engines and are tested by hand.
 *
 * <p>Where a loss has a kink (the PPO clip, the value clip, the larger of two squared errors) the
 * derivative on the kink is the one of the side named in the comment; finite differences do not see it.
 */
public final class Losses {
    private Losses() {}

    /** {@code mask / Σ mask} [N]: weights that make a weighted sum the mean over masked-in rows (zeros for an empty mask). */
    public static double[] meanWeights(double[] mask) {
        double total = 0;
        for (double m : mask) {
            total += m;
        }
        return meanWeights(mask, total);
    }

    /** Weights {@code mask / total} (0 where total is 0): the mean over {@code total} tokens counted elsewhere. */
    public static double[] meanWeights(double[] mask, double total) {
        double[] w = new double[mask.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = total > 0 ? mask[i] / total : 0.0;
        }
        return w;
    }

    /** {@code 1 / n} n times: the weights of a plain mean. */
    public static double[] uniformWeights(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0 / n);
        return w;
    }

    /** The LM loss {@code −Σ_n w_n · log p(target_n)}: with {@link #meanWeights} the mean NLL of the masked-in tokens. */
    public static Loss lm(double[] logp, double[] weight) {
        requireSameLength(logp, weight, "logp", "weight");
        double value = 0;
        double[] d = new double[logp.length];
        for (int n = 0; n < logp.length; n++) {
            if (weight[n] != 0) {
                value -= weight[n] * logp[n];
                d[n] = -weight[n];
            }
        }
        return Loss.ofLogp(value, d);
    }

    /** One labelled comparison: response {@code better} was judged better than {@code worse} by at least {@code margin}. */
    public record Comparison(int better, int worse, double weight, double margin) {}

    /** A loss of per-sequence scores and its derivative with respect to each score. */
    public record ScoreLoss(double value, double[] dScores) {}

    /**
     * The reward model's ranking loss (InstructGPT eq. 1; a preference pair is a ranking of two):
     * {@code Σ_c w_c · −log σ(r_better − r_worse − margin)} over the comparisons, each response scored once
     * however many comparisons it is in. With {@code w = 1 / (prompts · comparisons of its prompt)} it is
     * the mean over prompts of the mean over each prompt's pairs.
     */
    public static ScoreLoss ranking(double[] scores, List<Comparison> comparisons) {
        double value = 0;
        double[] d = new double[scores.length];
        for (Comparison c : comparisons) {
            double z = scores[c.better()] - scores[c.worse()] - c.margin();
            value += c.weight() * pairNll(z);
            double slope = -c.weight() * sigmoid(-z);                  // d/dz of −log σ(z) is −σ(−z)
            d[c.better()] += slope;
            d[c.worse()] -= slope;
        }
        return new ScoreLoss(value, d);
    }

    /**
     * Direct preference optimisation (Rafailov et al. 2023) over sequence log-probabilities: with the implicit
     * rewards {@code h_c = (π_w − π_ref,w) − (π_l − π_ref,l)} of each comparison (w = better, l = worse; π the sum
     * of the response tokens' log-probabilities),
     * <pre>
     *   DPO: L = Σ_c w_c · −log σ(β·h_c)          IPO (Azar et al. 2023): L = Σ_c w_c · (h_c − 1/(2β))²
     * </pre>
     * With the policy equal to the reference every h is 0 and the DPO loss is {@code Σ w · log 2}. The derivative
     * with respect to {@code π_w} is {@code −w·β·σ(−β·h)} for DPO and {@code 2·w·(h − 1/(2β))} for IPO, and the
     * negation of that for {@code π_l}. A comparison's margin is not used: DPO has no margin term.
     *
     * @param policy    sequence log-probabilities under the trained policy [S]
     * @param reference the same under the frozen reference [S]
     */
    public static ScoreLoss dpo(double[] policy, double[] reference, List<Comparison> comparisons, double beta,
                                boolean ipo) {
        requireSameLength(policy, reference, "policy", "reference");
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and > 0, got " + beta);
        }
        double value = 0;
        double[] d = new double[policy.length];
        for (Comparison c : comparisons) {
            double h = (policy[c.better()] - reference[c.better()]) - (policy[c.worse()] - reference[c.worse()]);
            double slope;                                             // dL/dh of this comparison
            if (ipo) {
                double gap = h - 1 / (2 * beta);
                value += c.weight() * gap * gap;
                slope = 2 * c.weight() * gap;
            } else {
                value += c.weight() * pairNll(beta * h);
                slope = -c.weight() * beta * sigmoid(-beta * h);
            }
            d[c.better()] += slope;
            d[c.worse()] -= slope;
        }
        return new ScoreLoss(value, d);
    }

    /** {@code −log σ(z) = softplus(−z)} without overflow: {@code max(0, −z) + log(1 + e^(−|z|))}. */
    public static double pairNll(double z) {
        return Math.max(0, -z) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /**
     * PPO's clipped surrogate with an entropy bonus:
     * <pre>
     *   L = −Σ_n w_n · min(ρ_n·A_n, clip(ρ_n, 1−ε, 1+ε)·A_n) − c_H · Σ_n w_n·H_n,   ρ_n = exp(logp_n − oldLogp_n)
     * </pre>
     * The derivative with respect to {@code logp_n} is {@code −w_n·A_n·ρ_n} where the unclipped term is the
     * smaller one (A &gt; 0 and ρ ≤ 1+ε, or A &lt; 0 and ρ ≥ 1−ε) and 0 where the clipped one is; with
     * respect to {@code H_n} it is {@code −c_H·w_n}.
     *
     * @param entropy the entropies [N]; may be null when {@code entropyCoef} is 0
     */
    public static Loss ppoPolicy(double[] logp, double[] entropy, double[] oldLogp, double[] advantages,
                                 double[] weight, double clip, double entropyCoef) {
        requireSameLength(logp, oldLogp, "logp", "oldLogp");
        requireSameLength(logp, advantages, "logp", "advantages");
        requireSameLength(logp, weight, "logp", "weight");
        double value = 0;
        double[] dLogp = new double[logp.length];
        double[] dEntropy = entropyCoef == 0 ? null : new double[logp.length];
        for (int n = 0; n < logp.length; n++) {
            if (weight[n] == 0) {
                continue;
            }
            double ratio = Math.exp(logp[n] - oldLogp[n]);
            double a = advantages[n];
            value += weight[n] * clippedSurrogate(ratio, a, clip);
            dLogp[n] = isClipped(ratio, a, clip) ? 0 : -weight[n] * a * ratio;
            if (dEntropy != null) {
                value -= entropyCoef * weight[n] * entropy[n];
                dEntropy[n] = -entropyCoef * weight[n];
            }
        }
        return new Loss(value, dLogp, dEntropy, null);
    }

    /**
     * GRPO's policy loss (Shao et al. 2024): PPO's clipped surrogate with the group advantages, no entropy bonus,
     * and the KL to the reference as a loss term by the k3 estimator,
     * <pre>
     *   L = Σ_n w_n · [−min(ρ_n·A_n, clip(ρ_n, 1−ε, 1+ε)·A_n) + β·(e^(d_n) − d_n − 1)],   d_n = refLogp_n − logp_n
     * </pre>
     * The surrogate's derivative is {@link #ppoPolicy}'s; the KL term's with respect to {@code logp_n} is
     * {@code β·w_n·(1 − e^(d_n))}. {@code β = 0} leaves the surrogate alone.
     */
    public static Loss grpoPolicy(double[] logp, double[] oldLogp, double[] refLogp, double[] advantages,
                                  double[] weight, double clip, double beta) {
        requireSameLength(logp, refLogp, "logp", "refLogp");
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and ≥ 0, got " + beta);
        }
        Loss surrogate = ppoPolicy(logp, null, oldLogp, advantages, weight, clip, 0.0);
        if (beta == 0) {
            return surrogate;
        }
        double value = surrogate.value();
        double[] dLogp = surrogate.dLogp();
        for (int n = 0; n < logp.length; n++) {
            if (weight[n] != 0) {
                double d = refLogp[n] - logp[n];
                value += beta * weight[n] * k3(d);
                dLogp[n] += beta * weight[n] * (1 - Math.exp(d));
            }
        }
        return Loss.ofLogp(value, dLogp);
    }

    /** The k3 KL estimate of one token from {@code d = log π_ref − log π}: {@code e^d − d − 1 ≥ 0}. */
    public static double k3(double d) {
        return Math.expm1(d) - d;
    }

    /**
     * Whether the clipped term of {@link #clippedSurrogate} is the strictly smaller one, so the token gives no
     * policy gradient: {@code (A > 0 ∧ ρ > 1 + ε) ∨ (A < 0 ∧ ρ < 1 − ε)}.
     */
    public static boolean isClipped(double ratio, double advantage, double clip) {
        return (advantage > 0 && ratio > 1 + clip) || (advantage < 0 && ratio < 1 - clip);
    }

    /** One token's PPO policy loss {@code −min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A)}, clip range ε ≥ 0. */
    public static double clippedSurrogate(double ratio, double advantage, double clip) {
        requireClip(clip, "clip");
        double clipped = Math.max(1.0 - clip, Math.min(1.0 + clip, ratio));
        return -Math.min(ratio * advantage, clipped * advantage);
    }

    /**
     * PPO's clipped value loss, {@code vf_coef · Σ_n w_n · ½·max((V_n − R_n)², (V_old,n + clip(V_n − V_old,n,
     * −ε_v, ε_v) − R_n)²)}. The derivative follows the larger error (the unclipped one on a tie); through
     * the clipped error it is 0 where the clip is active (|V − V_old| &gt; ε_v).
     */
    public static Loss clippedValue(double[] values, double[] oldValues, double[] returns, double[] weight,
                                    double clip, double vfCoef) {
        requireSameLength(values, oldValues, "values", "oldValues");
        requireSameLength(values, returns, "values", "returns");
        requireSameLength(values, weight, "values", "weight");
        requireClip(clip, "clip");
        double value = 0;
        double[] d = new double[values.length];
        for (int n = 0; n < values.length; n++) {
            if (weight[n] == 0) {
                continue;
            }
            double delta = values[n] - oldValues[n];
            double plain = values[n] - returns[n];
            double clippedValue = oldValues[n] + Math.max(-clip, Math.min(clip, delta)) - returns[n];
            value += vfCoef * weight[n] * clippedValueLoss(values[n], oldValues[n], returns[n], clip);
            if (clippedValue * clippedValue > plain * plain) {
                d[n] = Math.abs(delta) <= clip ? vfCoef * weight[n] * clippedValue : 0;
            } else {
                d[n] = vfCoef * weight[n] * plain;
            }
        }
        return Loss.ofValues(value, d);
    }

    /**
     * One token's clipped value loss {@code ½·max((v − R)², (v_old + clip(v − v_old, −ε_v, ε_v) − R)²)},
     * clip range ε_v ≥ 0.
     */
    public static double clippedValueLoss(double v, double vOld, double ret, double clip) {
        requireClip(clip, "clip");
        double unclipped = v - ret;
        double clipped = vOld + Math.max(-clip, Math.min(clip, v - vOld)) - ret;
        return 0.5 * Math.max(unclipped * unclipped, clipped * clipped);
    }

    private static void requireClip(double clip, String name) {
        if (!(clip >= 0.0) || Double.isInfinite(clip)) {
            throw new IllegalArgumentException(name + " must be finite and ≥ 0, got " + clip);
        }
    }

    private static void requireSameLength(double[] a, double[] b, String nameA, String nameB) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(nameA + " has " + a.length + " entries, " + nameB + " " + b.length);
        }
    }
}
