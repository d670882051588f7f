package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The PPO policy head: the tied LM head with logits divided by the sampling temperature, the
 * log-probability and entropy of that distribution at every position, and (for training) the clipped
 * surrogate loss
 * <pre>
 *   L = −Σ_n w_n · min(r_n·A_n, clip(r_n, 1−ε, 1+ε)·A_n),   r_n = exp(log π(a_n) − log π_old(a_n))
 *       − entropy_coef · Σ_n w_n · H_n
 * </pre>
 * {@code min(r·A, clip(r)·A)} does not differentiate correctly in SameDiff M2.1 (docs/SAMEDIFF.md), so the
 * choice of term is made from the sign of A, known before the pass and fed as two masks:
 * for A &gt; 0 the objective is {@code A·(r − relu(r − 1 − ε))} = A·min(r, 1+ε), for A &lt; 0 it is
 * {@code A·(r + relu(1 − ε − r))} = A·max(r, 1−ε). Both are exact equalities; relu's derivative
 * switches the gradient off exactly where the clipped term is active.
 * Placeholders: {@code target_onehot} [N, V]; with the loss also {@code old_logp}, {@code advantages},
 * {@code adv_pos}, {@code adv_neg} (1 where A &gt; 0, resp. A &lt; 0) and {@code token_weight}
 * (mask / Σ mask), each [N]. Outputs: {@code logprobs} [N, V] (the whole temperature-scaled
 * log-distribution, for exact KL in evaluation), {@code token_logp} [N], {@code entropy} [N], {@code loss}.
 */
public final class PolicyHead implements Head {
    public static final String TARGET_ONEHOT = LmHead.TARGET_ONEHOT;
    public static final String OLD_LOGP = "old_logp";
    public static final String ADVANTAGES = "advantages";
    public static final String ADV_POS = "adv_pos";
    public static final String ADV_NEG = "adv_neg";
    public static final String TOKEN_WEIGHT = "token_weight";
    public static final String TOKEN_LOGP = LmHead.TOKEN_LOGP;
    public static final String ENTROPY = "entropy";
    public static final String LOGPROBS = "logprobs";
    public static final String RATIO = "ratio";
    public static final String LOSS = LmHead.LOSS;

    private final double temperature;
    private final double clipRange;
    private final double entropyCoef;
    private final boolean withLoss;

    private PolicyHead(double temperature, double clipRange, double entropyCoef, boolean withLoss) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive");
        }
        this.temperature = temperature;
        this.clipRange = clipRange;
        this.entropyCoef = entropyCoef;
        this.withLoss = withLoss;
    }

    /** Forward only: temperature-scaled log-probabilities and entropies. */
    public static PolicyHead logProbs(double temperature) {
        return new PolicyHead(temperature, 0, 0, false);
    }

    /** With the clipped surrogate loss. */
    public static PolicyHead training(double temperature, double clipRange, double entropyCoef) {
        return new PolicyHead(temperature, clipRange, entropyCoef, true);
    }

    /** The sampling temperature the logits are divided by. */
    double temperature() {
        return temperature;
    }

    @Override
    public String key() {
        return withLoss ? "policy-loss/t" + temperature + "/c" + clipRange + "/e" + entropyCoef
                : "policy/t" + temperature;
    }

    @Override
    public boolean hasLoss() {
        return withLoss;
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        int n = trunk.batch() * trunk.seqLen();
        int v = trunk.spec().vocabSize();
        SDVariable logits = LmHead.logits(sd, trunk).mul(1.0 / temperature);                  // [N, V]
        SDVariable onehot = sd.placeHolder(TARGET_ONEHOT, logits.dataType(), n, v);          // [N, V]
        SDVariable all = sd.nn.logSoftmax(logits).rename(LOGPROBS);                           // [N, V]
        SDVariable logp = all.mul(onehot).sum(1).rename(TOKEN_LOGP);                          // [N]
        SDVariable entropy = sd.math.exp(all).mul(all).sum(1).neg().rename(ENTROPY);          // [N]
        if (!withLoss) {
            return;
        }
        SDVariable oldLogp = sd.placeHolder(OLD_LOGP, logits.dataType(), n);                  // [N]
        SDVariable adv = sd.placeHolder(ADVANTAGES, logits.dataType(), n);                    // [N]
        SDVariable pos = sd.placeHolder(ADV_POS, logits.dataType(), n);                       // [N]
        SDVariable neg = sd.placeHolder(ADV_NEG, logits.dataType(), n);                       // [N]
        SDVariable weight = sd.placeHolder(TOKEN_WEIGHT, logits.dataType(), n);               // [N]
        SDVariable ratio = sd.math.exp(logp.sub(oldLogp)).rename(RATIO);                      // [N]
        SDVariable above = sd.nn.relu(ratio.sub(1.0 + clipRange), 0.0);                       // [N] relu(r − 1 − ε)
        SDVariable below = sd.nn.relu(ratio.rsub(1.0 - clipRange), 0.0);                      // [N] relu(1 − ε − r)
        SDVariable clipped = ratio.sub(pos.mul(above)).add(neg.mul(below));                   // [N]
        SDVariable objective = adv.mul(clipped).mul(weight).sum();                            // []
        SDVariable loss = objective.neg();
        if (entropyCoef > 0) {
            loss = loss.sub(entropy.mul(weight).sum().mul(entropyCoef));
        }
        loss.rename(LOSS);                                                                    // []
    }
}
