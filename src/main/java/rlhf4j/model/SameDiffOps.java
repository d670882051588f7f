package rlhf4j.model;

import java.util.List;
import java.util.function.Function;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import rlhf4j.nn.Blocks;

/**
 * {@link Ops} as nodes of a SameDiff graph of one (B, T): SameDiff differentiates what {@link
 * GptDefinition} builds with them. The embedding is the graph variable {@code emb} [B·T, C], overwritten each call and looked up
 * outside the graph (and its gradient scattered into the tables there, {@link Gpt}), because the
 * native gather's gradient is wrong (docs/SAMEDIFF.md); the attention mask is the placeholder
 * {@code attn_bias} [B or 1, 1, T, T]; the next-token targets are the one-hot placeholder
 * {@code target_onehot} [B·T, V].
 */
final class SameDiffOps implements Ops<SDVariable> {
    private final SameDiff sd;
    private final Function<String, SDVariable> params;
    private final SDVariable emb;
    private final SDVariable attnBias;
    private final int batch;
    private final int seqLen;
    private final GptSpec spec;
    private final RotaryInputs rotary;
    private final SDVariable targetOnehot;

    /**
     * The queries' rotary factors [N, H·D] (placeholders: they depend on the batch's positions) and the constant
     * R [H·D, H·D]; the keys' are their first Hkv·D columns and top-left block ({@link Rotary#factors}).
     */
    record RotaryInputs(SDVariable cos, SDVariable sin, SDVariable rotateHalf) {}

    SameDiffOps(SameDiff sd, Function<String, SDVariable> params, SDVariable emb, SDVariable attnBias, int batch,
                int seqLen, GptSpec spec, RotaryInputs rotary, SDVariable targetOnehot) {
        this.sd = sd;
        this.params = params;
        this.emb = emb;
        this.attnBias = attnBias;
        this.batch = batch;
        this.seqLen = seqLen;
        this.spec = spec;
        this.rotary = rotary;
        this.targetOnehot = targetOnehot;
    }

    @Override public SDVariable param(String name) { return params.apply(name); }
    @Override public SDVariable embed(String tokenTable, String positionTable) { return emb; }
    @Override public SDVariable linear(SDVariable x, SDVariable w, SDVariable b) { return Blocks.linear(sd, x, w, b); }
    @Override public SDVariable layerNorm(SDVariable x, SDVariable g, SDVariable b, double eps) { return Blocks.layerNorm(sd, x, g, b, eps); }
    @Override public SDVariable gelu(SDVariable x) { return Blocks.gelu(sd, x); }
    @Override public SDVariable geluTanh(SDVariable x) { return Blocks.geluTanh(sd, x); }
    @Override public SDVariable rmsNorm(SDVariable x, SDVariable g) { return Blocks.rmsNorm(sd, x, g, spec.rmsNormEpsilon()); }
    @Override public SDVariable swiglu(SDVariable gate, SDVariable up) { return Blocks.swiglu(sd, gate, up); }

    @Override
    public List<SDVariable> split(SDVariable x, int... widths) {
        return List.of(Blocks.splitColumns(sd, x, batch * seqLen, widths));
    }

    @Override
    public SDVariable rotary(SDVariable x, int heads) {
        if (rotary == null) {
            throw new IllegalStateException("this graph was built without rotary inputs");
        }
        if (heads == spec.nHead()) {
            return Blocks.rotary(sd, x, rotary.cos(), rotary.sin(), rotary.rotateHalf());
        }
        int n = batch * seqLen;
        int width = heads * spec.headDim();
        return Blocks.rotary(sd, x, sd.slice(rotary.cos(), new int[] {0, 0}, n, width),
                sd.slice(rotary.sin(), new int[] {0, 0}, n, width),
                sd.slice(rotary.rotateHalf(), new int[] {0, 0}, width, width));                // [N, heads·D]
    }
    @Override public SDVariable add(SDVariable x, SDVariable y) { return x.add(y); }

    @Override
    public SDVariable causalAttention(int layer, SDVariable q, SDVariable k, SDVariable v) {
        return Blocks.causalAttention(sd, q, k, v, attnBias, batch, seqLen, spec.nHead(), spec.nKvHead(),
                spec.headDim());
    }

    @Override
    public SDVariable logits(SDVariable x, SDVariable table, double scale) {
        SDVariable z = sd.mmul(x, table, false, true, false);                                 // [N, V]
        return scale == 1.0 ? z : z.mul(scale);
    }

    @Override
    public SDVariable tokenLogProbs(SDVariable logits, int[] targets) {
        if (targetOnehot == null) {
            throw new IllegalStateException("this graph was built without a target placeholder");
        }
        return Blocks.targetLogProbs(sd, logits, targetOnehot);                               // [N]
    }

    @Override
    public SDVariable entropy(SDVariable logits) {
        return Blocks.entropy(sd, logits);                                                    // [N]
    }
}
