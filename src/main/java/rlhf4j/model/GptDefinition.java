package rlhf4j.model;

import static rlhf4j.model.ParamNames.layer;

/**
 * The GPT trunk, written once: token (and learned position) embeddings, {@code n_layer} pre-norm
 * blocks (norm, causal self-attention with rotary positions if chosen, residual; norm, MLP with
 * GELU, residual) and the final norm — GPT-2 with its defaults, {@link GptSpec#norm} and {@link
 * GptSpec#position} choosing otherwise — and the heads that read its final hidden state. Every engine runs this method — SameDiff for training graphs, the kernels with a tape
 * for training, the kernels or ND4J ops with a key/value cache for decoding — so a change to the
 * architecture is a change here (and, for a new operation, to {@link Ops} and its engines).
 */
public final class GptDefinition {
    private GptDefinition() {}

    /** The final hidden state [N, C] of the pass's tokens (the heads read it). */
    public static <T> T hidden(Ops<T> ops, GptSpec spec) {
        boolean learned = spec.position() == Position.LEARNED;
        T x = ops.embed(ParamNames.WTE, learned ? ParamNames.WPE : null);                    // [N, C]
        for (int l = 0; l < spec.nLayer(); l++) {
            T h = norm(ops, spec, x, layer(l, "ln_1"));                                      // [N, C]
            T qkv = ops.linear(h, ops.param(layer(l, "attn.c_attn.weight")),
                    ops.param(layer(l, "attn.c_attn.bias")));                               // [N, 3C]
            if (!learned) {
                qkv = ops.rotary(qkv);                                                       // [N, 3C]
            }
            T attended = ops.causalAttention(l, qkv);                                        // [N, C]
            x = ops.add(x, ops.linear(attended, ops.param(layer(l, "attn.c_proj.weight")),
                    ops.param(layer(l, "attn.c_proj.bias"))));                              // [N, C]
            T h2 = norm(ops, spec, x, layer(l, "ln_2"));                                     // [N, C]
            T fc = ops.linear(h2, ops.param(layer(l, "mlp.c_fc.weight")),
                    ops.param(layer(l, "mlp.c_fc.bias")));                                  // [N, 4C]
            T act = spec.activation() == Activation.GELU_NEW ? ops.geluTanh(fc) : ops.gelu(fc); // [N, 4C]
            x = ops.add(x, ops.linear(act, ops.param(layer(l, "mlp.c_proj.weight")),
                    ops.param(layer(l, "mlp.c_proj.bias"))));                               // [N, C]
        }
        return norm(ops, spec, x, "ln_f");                                                   // [N, C]
    }

    /** The heads' results, null where the request did not ask. */
    public record Heads<T>(T logits, T logp, T entropy, T values) {}

    /**
     * The heads on the final hidden state [N, C]: the LM head tied to the token embedding (logits divided by
     * the temperature [N, V], the next token's log-probability [N], the entropy [N]) and the scalar head of
     * reward and value models ({@code score.weight} [C, 1], {@code score.bias} [1]) at every position [N, 1].
     */
    public static <T> Heads<T> heads(Ops<T> ops, T hidden, HeadRequest request) {
        T logits = request.usesLmHead()
                ? ops.logits(hidden, ops.param(ParamNames.WTE), 1.0 / request.temperature()) : null; // [N, V]
        T logp = request.targets() == null ? null : ops.tokenLogProbs(logits, request.targets());     // [N]
        T entropy = request.entropy() ? ops.entropy(logits) : null;                                   // [N]
        T values = request.values() ? ops.linear(hidden, ops.param(ParamNames.SCORE_WEIGHT),
                ops.param(ParamNames.SCORE_BIAS)) : null;                                             // [N, 1]
        return new Heads<>(logits, logp, entropy, values);
    }

    /** The normalisation the spec chooses, with the parameters {@code prefix.weight} (and {@code prefix.bias}). */
    private static <T> T norm(Ops<T> ops, GptSpec spec, T x, String prefix) {
        return switch (spec.norm()) {
            case LAYERNORM -> ops.layerNorm(x, ops.param(prefix + ".weight"), ops.param(prefix + ".bias"),
                    spec.layerNormEpsilon());
            case RMSNORM -> ops.rmsNorm(x, ops.param(prefix + ".weight"));
        };
    }
}
