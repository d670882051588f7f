package rlhf4j.model;

import java.util.List;

/**
 * The operations the GPT is written in ({@link GptDefinition}). An engine implements them over its
 * own tensor type {@code T}: {@link SameDiffOps} adds nodes to a SameDiff graph, which SameDiff then
 * differentiates; {@link KernelOps} runs FLOAT kernels at once and, when it has a {@link Tape},
 * records each operation's backward so that the tape can replay them in reverse. One instance serves
 * one pass: the token ids, the attention mask or key/value cache and the shapes belong to it.
 *
 * <p>Activations are 2-D {@code [N, C]} with one row per token ({@code N = B·T} for a training
 * batch, {@code B·n} for n new tokens per sequence when decoding); the heads' per-token results
 * ({@link #tokenLogProbs}, {@link #entropy}) are 1-D {@code [N]}.
 */
public interface Ops<T> {
    /** A parameter of the model by its GPT-2 name ({@link ParamNames}). */
    T param(String name);

    /**
     * Row r is row {@code token[r]} of {@code tokenTable} plus, unless {@code positionTable} is null,
     * row {@code position[r]} of {@code positionTable}: [N, C].
     */
    T embed(String tokenTable, String positionTable);

    /**
     * {@code x·w + b}: x [N, in], w [in, out] (GPT-2's Conv1D layout), b [out] or null for a linear without bias
     * → [N, out].
     */
    T linear(T x, T w, T b);

    /**
     * The columns of x [N, Σ widths] cut into consecutive parts [N, widths[i]] (the fused q, k, v projection into
     * q, k and v; SwiGLU's fused gate and up). Its backward puts the parts' gradients side by side again (zero for
     * a part that got none).
     */
    List<T> split(T x, int... widths);

    /** LayerNorm of each row of x [N, C] with gain and bias [C]: {@code (x − mean) / sqrt(var + eps) · g + b} → [N, C]. */
    T layerNorm(T x, T gain, T bias, double eps);

    /**
     * RMSNorm of each row of x [N, C] with gain [C]: {@code x / sqrt(mean(x²) + eps) · g} → [N, C], eps the
     * spec's {@link GptSpec#rmsNormEpsilon}.
     */
    T rmsNorm(T x, T gain);

    /**
     * Rotary position embedding of queries or keys x [N, heads·D]: in each head, the pair of dimensions
     * (i, i + D/2) of the token at position p is rotated by the angle {@code p · θ^(−2i/D)}, θ the spec's
     * {@link GptSpec#ropeTheta} (the "rotate half" layout of GPT-NeoX and LLaMA) → [N, heads·D].
     */
    T rotary(T x, int heads);

    /** {@code x·σ(1.702·x)} element-wise (the sigmoid form of GELU, {@code quick_gelu}). */
    T gelu(T x);

    /** {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))} element-wise (the tanh form of GELU, GPT-2's {@code gelu_new}). */
    T geluTanh(T x);

    /** {@code silu(gate)·up = gate·σ(gate)·up} element-wise, gate and up [N, I] → [N, I] (SwiGLU's activation). */
    T swiglu(T gate, T up);

    /** Element-wise sum of two tensors of one shape (the residual connection). */
    T add(T x, T y);

    /**
     * Causal multi-head self-attention of layer {@code layer}: queries q [N, H·D], keys and values k, v
     * [N, Hkv·D] (H and Hkv the spec's {@link GptSpec#nHead} and {@link GptSpec#nKvHead}) → [N, H·D], the
     * heads merged. Query head h reads key/value head {@code h / (H / Hkv)} (grouped-query attention; each
     * its own when Hkv = H). Which keys each query sees — earlier positions of its own sequence that are
     * not padding — is the pass's: an additive mask over the batch, or the key/value cache of earlier
     * decoding steps, to which this call appends the new keys and values.
     */
    T causalAttention(int layer, T q, T k, T v);

    /**
     * The LM head's logits {@code scale · x·tableᵀ}: x [N, C], table [V, C] (the token embedding when the
     * head is tied, else {@code lm_head.weight}) → [N, V]. The scale is 1 / temperature where a sampling temperature applies.
     */
    T logits(T x, T table, double scale);

    /**
     * {@code log softmax(logits)[n, targets[n]]} for each row n of logits [N, V] → [N]. The targets
     * are the pass's next tokens (engines that take them from elsewhere, as SameDiff's placeholder
     * does, ignore the array).
     */
    T tokenLogProbs(T logits, int[] targets);

    /** The entropy {@code −Σ_v p_v log p_v} of each row's softmax, logits [N, V] → [N]. */
    T entropy(T logits);
}
