package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reward model's ranking loss (InstructGPT eq. 1; a preference pair is a ranking of two): the batch holds
 * the K responses of each of G prompts, N = ΣK sequences [N, T], right-padded; a {@link ScalarHead} scores each
 * at its last non-padding token, each response once, and every labelled pair of the batch is read off the
 * N × N table of score differences:
 * <pre>
 *   L = Σ_ij W_ij · −log σ(z_ij),   z_ij = r_i − r_j − M_ij,
 * </pre>
 * with {@code W_ij = 1 / (G · pairs of its prompt)} when response i was judged better than response j of the
 * same prompt (0 elsewhere: other prompts, the diagonal, unjudged pairs), so the loss is the mean over prompts
 * of the mean over each prompt's pairs, and {@code M_ij} the pair's required margin. The table is
 * {@code r·1ᵀ − 1·rᵀ}, two matrix products (the op the whole model already differentiates) rather than a
 * broadcast; −log σ(z) = softplus(−z) is built by hand in max-shifted form,
 * {@code m + log(e^{−m} + e^{−z−m})} with {@code m = max(0, −z)}: no overflow for any z, and the gradient
 * through m cancels exactly (docs/SAMEDIFF.md: no {@code sd.loss.*} op, whose backward ignores what follows it).
 * Placeholders: the scalar head's {@code last_token} [N, T], {@code pair_weight} [N, N], {@code pair_margin}
 * [N, N]. Outputs: {@code score} [N], {@code loss}.
 */
public final class RankingHead implements Head {
    public static final String WEIGHT = "pair_weight";
    public static final String MARGIN = "pair_margin";
    public static final String LOSS = LmHead.LOSS;

    private final ScalarHead scores = new ScalarHead(false);

    @Override
    public String key() {
        return "ranking";
    }

    @Override
    public boolean hasLoss() {
        return true;
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        int n = trunk.batch();
        scores.build(sd, trunk);
        SDVariable score = sd.getVariable(ScalarHead.SCORE);                                     // [N]
        SDVariable column = sd.reshape(score, n, 1);                                              // [N, 1]
        SDVariable ones = sd.constant("ranking_ones", Nd4j.ones(score.dataType(), 1, n)); // [1, N]
        SDVariable rows = sd.mmul(column, ones);                                                  // [N, N] r_i
        SDVariable cols = sd.mmul(sd.transpose(ones), sd.reshape(score, 1, n));                     // [N, N] r_j
        SDVariable weight = sd.placeHolder(WEIGHT, score.dataType(), n, n);                       // [N, N]
        SDVariable margin = sd.placeHolder(MARGIN, score.dataType(), n, n);                       // [N, N]
        SDVariable z = rows.sub(cols).sub(margin);                                                // [N, N]
        SDVariable m = sd.nn.relu(z.neg(), 0.0);                                                  // [N, N] max(0, −z)
        SDVariable nll = m.add(sd.math.log(sd.math.exp(m.neg()).add(sd.math.exp(z.neg().sub(m))))); // [N, N] −log σ(z)
        nll.mul(weight).sum().rename(LOSS);                                                       // []
    }
}
