package rlhf4j.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * What a stage puts on top of the transformer trunk: its extra placeholders, outputs and (for
 * training) a scalar named {@code loss}. One implementation per objective (LM loss, pairwise
 * ranking, PPO); the trunk is shared.
 */
public interface Head {
    /** Distinguishes cached graphs: two heads with the same key must build the same ops. */
    String key();

    /** Adds this head's ops on top of the trunk. */
    void build(SameDiff sd, Trunk trunk);

    /** Whether the head defines a scalar {@code loss} to differentiate. */
    boolean hasLoss();

    /** The trunk's outputs and parameter variables, as a head sees them. */
    interface Trunk {
        /** Final LayerNorm output [B*T, C]. */
        SDVariable hidden();

        /** The token embedding [V, C] as a graph variable (used by the tied LM head). */
        SDVariable wte();

        /** The scalar head's weight [C, 1] and bias [1]; the parameters must exist. */
        SDVariable scoreWeight();

        SDVariable scoreBias();

        int batch();

        int seqLen();

        GptSpec spec();
    }
}
