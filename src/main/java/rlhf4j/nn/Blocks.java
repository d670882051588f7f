package rlhf4j.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The SameDiff building blocks of a GPT, each chosen so that its gradient is right in M2.1
 * (docs/SAMEDIFF.md) and each covered by a central-difference gradient check in DOUBLE.
 *
 * <p>Activations are kept as 2-D {@code [N, C]} matrices with {@code N = B*T} rows wherever
 * possible: 2-D matmuls are the fast and verified path, and rank-3 × rank-2 matmul fails.
 */
public final class Blocks {
    private Blocks() {}

    /** Affine map {@code x·W + b}: x [N, in], W [in, out] (GPT-2 Conv1D layout), b [out] → [N, out]. */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable w, SDVariable b) {
        return sd.mmul(x, w).add(b);
    }

    /**
     * LayerNorm over the last axis of x [N, C] with gain and bias [C]: {@code (x − mean) / sqrt(var + eps) · g
     * + b}. With eps 0 it is the native op, which normalises with no epsilon (measured: matches eps = 0 to
     * 1e-12); otherwise it is written out from mean, square and sqrt.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias, double eps) {
        if (eps == 0) {
            return sd.nn.layerNorm(x, gain, bias, false, 1);
        }
        SDVariable centred = x.sub(x.mean(true, 1));                                    // [N, C]
        SDVariable std = sd.math.sqrt(sd.math.square(centred).mean(true, 1).add(eps));  // [N, 1]
        return centred.div(std).mul(gain).add(bias);                                   // [N, C]
    }

    /** RMSNorm over the last axis of x [N, C] with gain [C]: {@code x / sqrt(mean(x²) + eps) · g}. */
    public static SDVariable rmsNorm(SameDiff sd, SDVariable x, SDVariable gain, double eps) {
        SDVariable rms = sd.math.sqrt(sd.math.square(x).mean(true, 1).add(eps));     // [N, 1]
        return x.div(rms).mul(gain);                                                   // [N, C]
    }

    /**
     * Rotary position embedding as a graph: {@code qkv ⊙ cos + (qkv · R) ⊙ sin}, with per-column
     * factors cos, sin [N, 3C] and the constant rotate-half matrix R [3C, 3C] (a product with a
     * constant, so the gradient is SameDiff's matmul and multiply).
     */
    public static SDVariable rotary(SameDiff sd, SDVariable qkv, SDVariable cos, SDVariable sin, SDVariable rotateHalf) {
        return qkv.mul(cos).add(sd.mmul(qkv, rotateHalf).mul(sin));                   // [N, 3C]
    }

    /** GELU in its sigmoid form {@code x·σ(1.702x)} ("quick_gelu"): the native op with a right gradient. */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        return sd.nn.gelu(x);
    }

    /** GPT-2's tanh GELU ("gelu_new") as {@code x·σ(2√(2/π)·(x + 0.044715x³))}, from multiply and sigmoid. */
    public static SDVariable geluTanh(SameDiff sd, SDVariable x) {
        SDVariable u = x.mul(x).mul(x).mul(0.044715).add(x);                            // x + 0.044715x³
        return x.mul(sd.nn.sigmoid(u.mul(1.5957691216057308)));
    }

    /**
     * Causal multi-head self-attention, hand-built (the native attention op cannot take a causal
     * mask): qkv [B*T, 3C] (queries, keys, values side by side) → [B*T, C], the heads merged.
     *
     * @param attnBias additive mask [B or 1, 1, T, T]: 0 where a query may attend to a key, a large
     *     negative number elsewhere (causal, plus padding)
     */
    public static SDVariable causalAttention(SameDiff sd, SDVariable qkv, SDVariable attnBias, int batch, int seqLen,
                                             int nHead, int headDim) {
        long c = (long) nHead * headDim;
        SDVariable split = sd.permute(sd.reshape(qkv, batch, seqLen, 3, nHead, headDim),
                2, 0, 3, 1, 4);                                                        // [3, B, H, T, D]
        SDVariable[] qkvParts = sd.unstack(split, 0, 3);
        SDVariable q = qkvParts[0];                                                    // [B, H, T, D]
        SDVariable k = qkvParts[1];                                                    // [B, H, T, D]
        SDVariable v = qkvParts[2];                                                    // [B, H, T, D]
        SDVariable scores = sd.mmul(q, k, false, true, false)
                .mul(1.0 / Math.sqrt(headDim))
                .add(attnBias);                                                        // [B, H, T, T]
        SDVariable probs = sd.nn.softmax(scores, 3);                                   // [B, H, T, T]
        SDVariable heads = sd.mmul(probs, v);                                          // [B, H, T, D]
        return sd.reshape(sd.permute(heads, 0, 2, 1, 3), batch * seqLen, c);          // [B*T, C]
    }

    /** The GPT-2 MLP: x [N, C] → gelu(x·W_fc + b_fc) [N, 4C] → ·W_proj + b_proj [N, C]. */
    public static SDVariable mlp(SameDiff sd, SDVariable x, SDVariable wFc, SDVariable bFc,
                                 SDVariable wProj, SDVariable bProj) {
        return linear(sd, gelu(sd, linear(sd, x, wFc, bFc)), wProj, bProj);
    }

    /**
     * Log-probabilities of the given targets, hand-built from log-softmax (the native loss ops
     * drop their incoming gradient, docs/SAMEDIFF.md). logits [N, V], targetOneHot [N, V] → [N].
     */
    public static SDVariable targetLogProbs(SameDiff sd, SDVariable logits, SDVariable targetOneHot) {
        SDVariable logProbs = sd.nn.logSoftmax(logits);                                // [N, V]
        return logProbs.mul(targetOneHot).sum(1);                                      // [N]
    }

    /** Per-row entropy of the softmax over logits [N, V] → [N]. */
    public static SDVariable entropy(SameDiff sd, SDVariable logits) {
        SDVariable logProbs = sd.nn.logSoftmax(logits);                                // [N, V]
        return sd.math.exp(logProbs).mul(logProbs).sum(1).neg();                       // [N]
    }
}
