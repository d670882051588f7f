package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A scalar head on the final hidden states (reward or value model): {@code values} [B, T] at every
 * position, and {@code score} [B] read at each sequence's last non-padding token, selected by the
 * placeholder {@code last_token} [B, T] (one-hot per row; built outside the graph so no gather is
 * needed). With {@code withLoss}, {@code loss = −Σ_b score_weight_b · score_b}: a linear probe that
 * the gradient check uses; the reward and PPO stages add their own losses on {@code score}/{@code values}.
 */
public final class ScalarHead implements Head {
    public static final String LAST_TOKEN = "last_token";
    public static final String SCORE_WEIGHT = "score_loss_weight";
    public static final String VALUES = "values";
    public static final String SCORE = "score";
    public static final String LOSS = LmHead.LOSS;

    private final boolean withLoss;

    public ScalarHead(boolean withLoss) {
        this.withLoss = withLoss;
    }

    @Override
    public String key() {
        return withLoss ? "scalar-loss" : "scalar";
    }

    @Override
    public boolean hasLoss() {
        return withLoss;
    }

    /** The score head at every position, named {@code values} [B, T]. */
    static SDVariable values(SameDiff sd, Trunk trunk) {
        SDVariable perToken = sd.mmul(trunk.hidden(), trunk.scoreWeight()).add(trunk.scoreBias());   // [B*T, 1]
        return sd.reshape(perToken, trunk.batch(), trunk.seqLen()).rename(VALUES);                   // [B, T]
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        int b = trunk.batch();
        int t = trunk.seqLen();
        SDVariable values = values(sd, trunk);                                                        // [B, T]
        SDVariable last = sd.placeHolder(LAST_TOKEN, values.dataType(), b, t);                        // [B, T]
        SDVariable score = values.mul(last).sum(1).rename(SCORE);                                     // [B]
        if (withLoss) {
            SDVariable weight = sd.placeHolder(SCORE_WEIGHT, values.dataType(), b);                   // [B]
            score.mul(weight).sum().neg().rename(LOSS);                                               // []
        }
    }
}
