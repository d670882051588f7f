package rlhf4j.model;

import static rlhf4j.model.ParamNames.layer;

import java.util.List;

/**
 * The GPT trunk, written once: token (and learned position) embeddings, {@code n_layer} pre-norm
 * blocks (norm, one fused q/k/v projection cut into q, k and v, rotary positions if chosen, causal
 * self-attention with {@link GptSpec#nKvHead} key/value heads, residual; norm, MLP — GELU or SwiGLU,
 * again one fused projection — residual) and the final norm — GPT-2 with its defaults, the spec choosing
 * otherwise (a LLaMA or Qwen2 block) — and the heads that read its final hidden state. Every engine runs this method — SameDiff for training graphs, the kernels with a tape
 * for training, the kernels or ND4J ops with a key/value cache for decoding — so a change to the
 * architecture is a change here (and, for a new operation, to {@link Ops} and its engines).
 */
public final class GptDefinition {
    private GptDefinition() {}

    /** The final hidden state [N, C] of the pass's tokens (the heads read it). */
    public static <T> T hidden(Ops<T> ops, GptSpec spec) {
        boolean learned = spec.position() == Position.LEARNED;
        boolean biased = spec.bias().onOthers();
        int kv = spec.kvWidth();
        T x = ops.embed(ParamNames.WTE, learned ? ParamNames.WPE : null);                    // [N, C]
        for (int l = 0; l < spec.nLayer(); l++) {
            T h = norm(ops, spec, x, layer(l, "ln_1"));                                      // [N, C]
            T qkv = ops.linear(h, ops.param(layer(l, "attn.c_attn.weight")),
                    bias(ops, spec.bias().onQkv(), layer(l, "attn.c_attn.bias")));          // [N, (H + 2·Hkv)·D]
            List<T> parts = ops.split(qkv, spec.nEmbd(), kv, kv);
            T q = parts.get(0);                                                              // [N, H·D]
            T k = parts.get(1);                                                              // [N, Hkv·D]
            T v = parts.get(2);                                                              // [N, Hkv·D]
            if (!learned) {
                q = ops.rotary(q, spec.nHead());                                             // [N, H·D]
                k = ops.rotary(k, spec.nKvHead());                                           // [N, Hkv·D]
            }
            T attended = ops.causalAttention(l, q, k, v);                                    // [N, C]
            x = ops.add(x, ops.linear(attended, ops.param(layer(l, "attn.c_proj.weight")),
                    bias(ops, biased, layer(l, "attn.c_proj.bias"))));                      // [N, C]
            T h2 = norm(ops, spec, x, layer(l, "ln_2"));                                     // [N, C]
            T fc = ops.linear(h2, ops.param(layer(l, "mlp.c_fc.weight")),
                    bias(ops, biased, layer(l, "mlp.c_fc.bias")));                          // [N, I] or [N, 2I]
            T act = activation(ops, spec, fc);                                               // [N, I]
            x = ops.add(x, ops.linear(act, ops.param(layer(l, "mlp.c_proj.weight")),
                    bias(ops, biased, layer(l, "mlp.c_proj.bias"))));                       // [N, C]
        }
        return norm(ops, spec, x, "ln_f");                                                   // [N, C]
    }

    /** The MLP's activation of c_fc's output [N, I] (GELU) or [N, 2I] (SwiGLU: gate, then up) → [N, I]. */
    private static <T> T activation(Ops<T> ops, GptSpec spec, T fc) {
        if (spec.mlp() == Mlp.SWIGLU) {
            List<T> gateUp = ops.split(fc, spec.mlpHidden(), spec.mlpHidden());
            return ops.swiglu(gateUp.get(0), gateUp.get(1));                                 // [N, I]
        }
        return spec.activation() == Activation.GELU_NEW ? ops.geluTanh(fc) : ops.gelu(fc);   // [N, I]
    }

    /** The bias parameter, or null where the spec has none ({@link GptSpec#bias}). */
    private static <T> T bias(Ops<T> ops, boolean present, String name) {
        return present ? ops.param(name) : null;
    }

    /** The heads' results, null where the request did not ask. */
    public record Heads<T>(T logits, T logp, T entropy, T values) {}

    /**
     * The heads on the final hidden state [N, C]: the LM head, tied to the token embedding or its own
     * {@code lm_head.weight} (logits divided by the temperature [N, V], the next token's log-probability [N], the
     * entropy [N]) and the scalar head of reward and value models ({@code score.weight} [C, 1], {@code score.bias}
     * [1]) at every position [N, 1].
     */
    public static <T> Heads<T> heads(Ops<T> ops, GptSpec spec, T hidden, HeadRequest request) {
        T logits = request.usesLmHead()
                ? lmLogits(ops, spec, hidden, 1.0 / request.temperature()) : null;                   // [N, V]
        T logp = request.targets() == null ? null : ops.tokenLogProbs(logits, request.targets());     // [N]
        T entropy = request.entropy() ? ops.entropy(logits) : null;                                   // [N]
        T values = request.values() ? ops.linear(hidden, ops.param(ParamNames.SCORE_WEIGHT),
                ops.param(ParamNames.SCORE_BIAS)) : null;                                             // [N, 1]
        return new Heads<>(logits, logp, entropy, values);
    }

    /** The LM head's logits {@code scale · hidden·tableᵀ} [N, V] of the final hidden state [N, C]. */
    public static <T> T lmLogits(Ops<T> ops, GptSpec spec, T hidden, double scale) {
        return ops.logits(hidden, ops.param(ParamNames.lmHead(spec)), scale);                        // [N, V]
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
