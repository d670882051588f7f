package rlhf4j.model;

import static rlhf4j.model.ParamNames.layer;

/**
 * The GPT-2 trunk, written once: token and position embeddings, {@code n_layer} pre-norm blocks
 * (LayerNorm, causal self-attention, residual; LayerNorm, MLP with GELU, residual) and the final
 * LayerNorm. Every engine runs this method — SameDiff for training graphs, the kernels with a tape
 * for training, the kernels or ND4J ops with a key/value cache for decoding — so a change to the
 * architecture is a change here (and, for a new operation, to {@link Ops} and its engines).
 */
public final class GptDefinition {
    private GptDefinition() {}

    /** The final hidden state [N, C] of the pass's tokens (the heads read it). */
    public static <T> T hidden(Ops<T> ops, GptSpec spec) {
        T x = ops.embed(ParamNames.WTE, ParamNames.WPE);                                     // [N, C]
        for (int l = 0; l < spec.nLayer(); l++) {
            T h = ops.layerNorm(x, ops.param(layer(l, "ln_1.weight")), ops.param(layer(l, "ln_1.bias"))); // [N, C]
            T qkv = ops.linear(h, ops.param(layer(l, "attn.c_attn.weight")),
                    ops.param(layer(l, "attn.c_attn.bias")));                               // [N, 3C]
            T attended = ops.causalAttention(l, qkv);                                        // [N, C]
            x = ops.add(x, ops.linear(attended, ops.param(layer(l, "attn.c_proj.weight")),
                    ops.param(layer(l, "attn.c_proj.bias"))));                              // [N, C]
            T h2 = ops.layerNorm(x, ops.param(layer(l, "ln_2.weight")), ops.param(layer(l, "ln_2.bias"))); // [N, C]
            T act = ops.gelu(ops.linear(h2, ops.param(layer(l, "mlp.c_fc.weight")),
                    ops.param(layer(l, "mlp.c_fc.bias"))));                                 // [N, 4C]
            x = ops.add(x, ops.linear(act, ops.param(layer(l, "mlp.c_proj.weight")),
                    ops.param(layer(l, "mlp.c_proj.bias"))));                               // [N, C]
        }
        return ops.layerNorm(x, ops.param(ParamNames.LN_F_WEIGHT), ops.param(ParamNames.LN_F_BIAS)); // [N, C]
    }
}
