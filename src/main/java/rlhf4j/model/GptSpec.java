package rlhf4j.model;

import java.io.Serializable;

/**
 * The architecture of one GPT: what {@code config.json} records and every stage inherits. Besides
 * the shape, {@link #norm} and {@link #position} choose GPT-2's LayerNorm and learned positions (the
 * defaults) or RMSNorm and rotary positions; {@link #activation} and {@link #layerNormEpsilon} are the
 * MLP's GELU approximation and LayerNorm's epsilon (this project's models: {@code quick_gelu} and 0;
 * a Hugging Face GPT-2: {@code gelu_new} and 1e-5).
 *
 * <p>The rest are the choices of the LLaMA family, each defaulting to what a GPT-2 here does: {@link #nKvHead}
 * key/value heads shared by {@code nHead / nKvHead} query heads each (grouped-query attention), the {@link #mlp}
 * kind and its hidden width {@link #mlpHidden} (4C), which linears have a {@link #bias}, the rotary base {@link
 * #ropeTheta} (10000), RMSNorm's epsilon {@link #rmsNormEpsilon} (1e-6) and whether the LM head is the token
 * embedding ({@link #tiedHead}) or its own {@code lm_head.weight} [V, C]; {@link #ropeScaling} is Llama 3's
 * rescaling of the rotary frequencies (null: none). A LLaMA is
 * {@code new GptSpec(L, H, C, T, V, RMSNORM, ROPE).withKvHeads(..).withMlp(SWIGLU, I).withBias(NONE)...}.
 * Names follow Hugging Face GPT-2 ({@code n_layer}, {@code n_head}, {@code n_embd},
 * {@code n_positions}, {@code vocab_size}).
 */
public record GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position,
                      Activation activation, double layerNormEpsilon, int nKvHead, Mlp mlp, int mlpHidden, Bias bias,
                      double ropeTheta, double rmsNormEpsilon, boolean tiedHead, RopeScaling ropeScaling)
        implements Serializable {
    /** The rotary base of RoFormer and LLaMA 1 and 2 ({@code rope_theta}). */
    public static final double DEFAULT_ROPE_THETA = 10_000.0;
    /** RMSNorm's epsilon unless a spec says otherwise (LLaMA's {@code rms_norm_eps}). */
    public static final double DEFAULT_RMS_NORM_EPSILON = 1e-6;

    /** LayerNorm, learned positions, quick GELU, no epsilon: this project's default. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, Norm.LAYERNORM, Position.LEARNED);
    }

    /** With quick GELU and no LayerNorm epsilon. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, Activation.QUICK_GELU, 0.0);
    }

    /** GPT-2's block: one key/value head per query head, a GELU MLP 4C wide, biases everywhere, the tied LM head. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position,
                   Activation activation, double layerNormEpsilon) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon, nHead, Mlp.GELU,
                4 * nEmbd, Bias.ALL, DEFAULT_ROPE_THETA, DEFAULT_RMS_NORM_EPSILON, true);
    }

    /** Without rotary frequency scaling. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position,
                   Activation activation, double layerNormEpsilon, int nKvHead, Mlp mlp, int mlpHidden, Bias bias,
                   double ropeTheta, double rmsNormEpsilon, boolean tiedHead) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon, nKvHead, mlp,
                mlpHidden, bias, ropeTheta, rmsNormEpsilon, tiedHead, null);
    }

    public GptSpec {
        require(norm != null && position != null && activation != null, "norm, position and activation must be given");
        require(mlp != null && bias != null, "mlp and bias must be given");
        require(layerNormEpsilon >= 0 && layerNormEpsilon < 1, "layer_norm_epsilon must be in [0, 1)");
        require(rmsNormEpsilon >= 0 && rmsNormEpsilon < 1, "rms_norm_eps must be in [0, 1)");
        require(nLayer > 0, "n_layer must be positive");
        require(nHead > 0, "n_head must be positive");
        require(nEmbd > 0 && nEmbd % nHead == 0, "n_embd must be a positive multiple of n_head");
        require(nKvHead > 0 && nHead % nKvHead == 0, "n_kv_head must be positive and divide n_head");
        require(mlpHidden > 0, "mlp_hidden must be positive");
        require(ropeTheta > 0 && Double.isFinite(ropeTheta), "rope_theta must be positive");
        require(blockSize > 0, "block_size must be positive");
        require(vocabSize > 0, "vocab_size must be positive");
        require(position != Position.ROPE || (nEmbd / nHead) % 2 == 0, "rotary positions need an even head size");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** This spec with another vocabulary size (a tokenizer that gained tokens). */
    public GptSpec withVocabSize(int size) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, size, norm, position, activation, layerNormEpsilon, nKvHead,
                mlp, mlpHidden, bias, ropeTheta, rmsNormEpsilon, tiedHead, ropeScaling);
    }

    /** With {@code n} key/value heads (grouped-query attention; n divides n_head). */
    public GptSpec withKvHeads(int n) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon, n,
                mlp, mlpHidden, bias, ropeTheta, rmsNormEpsilon, tiedHead, ropeScaling);
    }

    /** With this MLP kind and hidden width I. */
    public GptSpec withMlp(Mlp kind, int hidden) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, kind, hidden, bias, ropeTheta, rmsNormEpsilon, tiedHead, ropeScaling);
    }

    /** With biases on these linears. */
    public GptSpec withBias(Bias which) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, mlp, mlpHidden, which, ropeTheta, rmsNormEpsilon, tiedHead, ropeScaling);
    }

    /** With this rotary base. */
    public GptSpec withRopeTheta(double theta) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, mlp, mlpHidden, bias, theta, rmsNormEpsilon, tiedHead, ropeScaling);
    }

    /** With this RMSNorm epsilon. */
    public GptSpec withRmsNormEpsilon(double eps) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, mlp, mlpHidden, bias, ropeTheta, eps, tiedHead, ropeScaling);
    }

    /** With the LM head tied to {@code wte} ({@code true}) or its own {@code lm_head.weight}. */
    public GptSpec withTiedHead(boolean tied) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, mlp, mlpHidden, bias, ropeTheta, rmsNormEpsilon, tied, ropeScaling);
    }

    /** With Llama 3's rotary frequency scaling ({@code rope_scaling}), or none (null). */
    public GptSpec withRopeScaling(RopeScaling scaling) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, activation, layerNormEpsilon,
                nKvHead, mlp, mlpHidden, bias, ropeTheta, rmsNormEpsilon, tiedHead, scaling);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** Columns of the keys, and of the values: {@code n_kv_head · D}. */
    public int kvWidth() {
        return nKvHead * headDim();
    }

    /** Columns of the fused q, k, v projection {@code attn.c_attn}: {@code (H + 2·Hkv)·D} (3C without GQA). */
    public int qkvWidth() {
        return nEmbd + 2 * kvWidth();
    }

    /** Columns of {@code mlp.c_fc}: I, or 2I for SwiGLU's gate and up side by side. */
    public int fcWidth() {
        return mlp == Mlp.SWIGLU ? 2 * mlpHidden : mlpHidden;
    }

    /** Parameters of the transformer and its LM head (no scalar head): the sizes of {@link ParamNames#layout}. */
    public long paramCount() {
        long total = 0;
        for (long[] shape : ParamNames.layout(this, false).values()) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            total += n;
        }
        return total;
    }

    /**
     * Training FLOPs per token: 6 per parameter plus attention (12·L·C·T), as PaLM/nanoGPT count. Attention's
     * term counts the query heads (H·D = C): with grouped-query attention each query head still takes its own
     * products with the T keys and values it reads.
     */
    public double trainFlopsPerToken(int seqLen) {
        return 6.0 * paramCount() + 12.0 * nLayer * nEmbd * seqLen;
    }

    /** Refuses a sequence longer than the model's context. */
    public void checkLength(int seqLen) {
        if (seqLen > blockSize) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds block_size " + blockSize);
        }
    }

    /** Refuses a batch this model cannot compute: too long, or targets (null: none) not one per token in the vocabulary. */
    public void checkPass(TokenBatch batch, int[] targets) {
        checkLength(batch.seqLen());
        if (targets == null) {
            return;
        }
        if (targets.length != batch.tokens().length) {
            throw new IllegalArgumentException(targets.length + " targets for " + batch.tokens().length + " tokens");
        }
        for (int t : targets) {
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException("target " + t + " outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }
}
