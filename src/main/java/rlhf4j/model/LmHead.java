package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import rlhf4j.nn.Blocks;

/**
 * The language-model head tied to the token embedding, with the weighted NLL loss.
 * Placeholders: {@code target_onehot} [B*T, V], {@code target_weight} [B*T] (mask / Σmask).
 * Outputs: {@code logits} [B*T, V], {@code token_logp} [B*T], {@code loss} (scalar).
 */
public final class LmHead implements Head {
    public static final String TARGET_ONEHOT = "target_onehot";
    public static final String TARGET_WEIGHT = "target_weight";
    public static final String LOGITS = "logits";
    public static final String TOKEN_LOGP = "token_logp";
    public static final String LOSS = "loss";

    private final boolean withLoss;

    /** @param withLoss false for a forward-only graph that gives logits alone */
    public LmHead(boolean withLoss) {
        this.withLoss = withLoss;
    }

    @Override
    public String key() {
        return withLoss ? "lm-loss" : "lm-logits";
    }

    @Override
    public boolean hasLoss() {
        return withLoss;
    }

    /** Logits of the LM head tied to the token embedding: hidden · wteᵀ [B*T, V]. */
    static SDVariable logits(SameDiff sd, Trunk trunk) {
        return sd.mmul(trunk.hidden(), trunk.wte(), false, true, false);                             // [N, V]
    }

    @Override
    public void build(SameDiff sd, Trunk trunk) {
        int n = trunk.batch() * trunk.seqLen();
        int v = trunk.spec().vocabSize();
        SDVariable logits = logits(sd, trunk).rename(LOGITS);                                       // [N, V]
        if (!withLoss) {
            return;
        }
        SDVariable onehot = sd.placeHolder(TARGET_ONEHOT, logits.dataType(), n, v);                 // [N, V]
        SDVariable weight = sd.placeHolder(TARGET_WEIGHT, logits.dataType(), n);                    // [N]
        SDVariable tokenLogp = Blocks.targetLogProbs(sd, logits, onehot).rename(TOKEN_LOGP);        // [N]
        tokenLogp.mul(weight).sum().neg().rename(LOSS);                                             // []
    }
}
