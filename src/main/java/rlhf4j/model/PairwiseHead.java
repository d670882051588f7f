package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The reward model's pairwise ranking head (InstructGPT, TRL {@code RewardTrainer}): the batch holds
 * P chosen sequences then their P rejected counterparts ([2P, T], right-padded); a {@link ScalarHead}
 * scores each at its last non-padding token, and the loss is
 * <pre>
 *   L = (1/P) Σ_p −log σ(z_p),   z_p = r_chosen,p − r_rejected,p − margin_p.
 * </pre>
 * −log σ(z) = softplus(−z) is built by hand in max-shifted form, {@code m + log(e^{−m} + e^{−z−m})}
 * with {@code m = max(0, −z)}: no overflow for any z, and the gradient through m cancels exactly
 * (docs/SAMEDIFF.md: no {@code sd.loss.*} op, whose backward ignores what comes after it).
 * Placeholders: the scalar head's {@code last_token} [2P, T] and {@code margin} [P].
 * Outputs: {@code score} [2P], {@code chosen_reward} [P], {@code rejected_reward} [P], {@code loss}.
 */
public final class PairwiseHead implements Head {
    public static final String MARGIN = "margin";
    public static final String CHOSEN = "chosen_reward";
    public static final String REJECTED = "rejected_reward";
    public static final String LOSS = LmHead.LOSS;

    private final ScalarHead scores = new ScalarHead(false);

    @Override
    public String key() {
        return "pairwise";
    }

    @Override
    public boolean hasLoss() {
        return true;
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        if (trunk.batch() % 2 != 0) {
            throw new IllegalArgumentException("a pairwise batch holds chosen then rejected rows: even size, got "
                    + trunk.batch());
        }
        int pairs = trunk.batch() / 2;
        scores.build(sd, trunk);
        SDVariable score = sd.getVariable(ScalarHead.SCORE);                                     // [2P]
        SDVariable[] sides = sd.unstack(sd.reshape(score, 2, pairs), 0, 2);                      // 2 × [P]
        SDVariable chosen = sides[0].rename(CHOSEN);                                              // [P]
        SDVariable rejected = sides[1].rename(REJECTED);                                          // [P]
        SDVariable margin = sd.placeHolder(MARGIN, score.dataType(), pairs);                      // [P]
        SDVariable z = chosen.sub(rejected).sub(margin);                                          // [P]
        SDVariable m = sd.nn.relu(z.neg(), 0.0);                                                  // [P] max(0, −z)
        SDVariable nll = m.add(sd.math.log(sd.math.exp(m.neg()).add(sd.math.exp(z.neg().sub(m))))); // [P] −log σ(z)
        nll.mean().rename(LOSS);                                                                  // []
    }
}
