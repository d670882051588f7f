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

    /** Affine map {@code x·W + b}: x [N, in], W [in, out] (GPT-2 Conv1D layout), b [out] or null (none) → [N, out]. */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable w, SDVariable b) {
        SDVariable y = sd.mmul(x, w);                                                  // [N, out]
        return b == null ? y : y.add(b);
    }

    /**
     * The columns of x [rows, Σ widths] cut into consecutive parts [rows, widths[i]], each a slice (whose
     * gradient pads the part's gradient back to x's shape; the parts' gradients then add).
     */
    public static SDVariable[] splitColumns(SameDiff sd, SDVariable x, int rows, int... widths) {
        SDVariable[] parts = new SDVariable[widths.length];
        int offset = 0;
        for (int i = 0; i < widths.length; i++) {
            parts[i] = sd.slice(x, new int[] {0, offset}, rows, widths[i]);            // [rows, w_i]
            offset += widths[i];
        }
        return parts;
    }

    /** SwiGLU's activation {@code silu(gate)·up = gate·σ(gate)·up} from multiply and sigmoid, gate and up [N, I]. */
    public static SDVariable swiglu(SameDiff sd, SDVariable gate, SDVariable up) {
        return gate.mul(sd.nn.sigmoid(gate)).mul(up);                                  // [N, I]
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
     * Rotary position embedding as a graph: {@code x ⊙ cos + (x · R) ⊙ sin} for queries or keys x [N, heads·D],
     * with per-column factors cos, sin [N, heads·D] and the constant rotate-half matrix R [heads·D, heads·D] (a
     * product with a constant, so the gradient is SameDiff's matmul and multiply).
     */
    public static SDVariable rotary(SameDiff sd, SDVariable x, SDVariable cos, SDVariable sin, SDVariable rotateHalf) {
        return x.mul(cos).add(sd.mmul(x, rotateHalf).mul(sin));                         // [N, heads·D]
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
     * mask): queries q [B*T, H·D], keys and values k, v [B*T, Hkv·D] → [B*T, H·D], the heads merged.
     * Query head h reads key/value head h / g, g = H / Hkv: the g query heads of one key/value head are
     * consecutive, so the queries [B, H, T, D] reshape to [B, Hkv, g·T, D] and one product per key/value head
     * scores them all (reshaped back to [B, H, T, T] for the mask); the products' gradients sum over the group.
     *
     * @param attnBias additive mask [B or 1, 1, T, T]: 0 where a query may attend to a key, a large
     *     negative number elsewhere (causal, plus padding)
     */
    public static SDVariable causalAttention(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable attnBias,
                                             int batch, int seqLen, int nHead, int nKvHead, int headDim) {
        long c = (long) nHead * headDim;
        int group = nHead / nKvHead;
        SDVariable qh = sd.permute(sd.reshape(q, batch, seqLen, nHead, headDim), 0, 2, 1, 3);      // [B, H, T, D]
        SDVariable kh = sd.permute(sd.reshape(k, batch, seqLen, nKvHead, headDim), 0, 2, 1, 3);    // [B, Hkv, T, D]
        SDVariable vh = sd.permute(sd.reshape(v, batch, seqLen, nKvHead, headDim), 0, 2, 1, 3);    // [B, Hkv, T, D]
        SDVariable qg = group == 1 ? qh : sd.reshape(qh, batch, nKvHead, group * seqLen, headDim); // [B, Hkv, g·T, D]
        SDVariable raw = sd.mmul(qg, kh, false, true, false);                                      // [B, Hkv, g·T, T]
        SDVariable scores = (group == 1 ? raw : sd.reshape(raw, batch, nHead, seqLen, seqLen))
                .mul(1.0 / Math.sqrt(headDim))
                .add(attnBias);                                                        // [B, H, T, T]
        SDVariable probs = sd.nn.softmax(scores, 3);                                   // [B, H, T, T]
        SDVariable pg = group == 1 ? probs : sd.reshape(probs, batch, nKvHead, group * seqLen, seqLen); // [B, Hkv, g·T, T]
        SDVariable out = sd.mmul(pg, vh);                                              // [B, Hkv, g·T, D]
        SDVariable heads = group == 1 ? out : sd.reshape(out, batch, nHead, seqLen, headDim);  // [B, H, T, D]
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
