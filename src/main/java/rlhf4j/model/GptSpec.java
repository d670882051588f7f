package rlhf4j.model;

import java.io.Serializable;

/**
 * The architecture of one GPT: what {@code config.json} records and every stage inherits. Besides
 * the shape, {@link #norm} and {@link #position} choose GPT-2's LayerNorm and learned positions (the
 * defaults) or RMSNorm and rotary positions; {@link #activation} and {@link #layerNormEpsilon} are the
 * MLP's GELU approximation and LayerNorm's epsilon (this project's models: {@code quick_gelu} and 0;
 * a Hugging Face GPT-2: {@code gelu_new} and 1e-5).
 * Names follow Hugging Face GPT-2 ({@code n_layer}, {@code n_head}, {@code n_embd},
 * {@code n_positions}, {@code vocab_size}).
 */
public record GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position,
                      Activation activation, double layerNormEpsilon) implements Serializable {
    /** LayerNorm, learned positions, quick GELU, no epsilon: this project's default. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, Norm.LAYERNORM, Position.LEARNED);
    }

    /** With quick GELU and no LayerNorm epsilon. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position, Activation.QUICK_GELU, 0.0);
    }

    public GptSpec {
        require(norm != null && position != null && activation != null, "norm, position and activation must be given");
        require(layerNormEpsilon >= 0 && layerNormEpsilon < 1, "layer_norm_epsilon must be in [0, 1)");
        require(nLayer > 0, "n_layer must be positive");
        require(nHead > 0, "n_head must be positive");
        require(nEmbd > 0 && nEmbd % nHead == 0, "n_embd must be a positive multiple of n_head");
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
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, size, norm, position, activation, layerNormEpsilon);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** Parameters of the transformer with tied LM head (no scalar head). */
    public long paramCount() {
        long c = nEmbd;
        long norm = this.norm == Norm.LAYERNORM ? 2 * c : c;
        long perLayer = 2 * norm               // ln_1, ln_2
                + c * 3 * c + 3 * c            // c_attn
                + c * c + c                    // attn.c_proj
                + c * 4 * c + 4 * c            // c_fc
                + 4 * c * c + c;               // mlp.c_proj
        long positions = position == Position.LEARNED ? (long) blockSize * c : 0;
        return (long) vocabSize * c + positions + nLayer * perLayer + norm;
    }

    /** Training FLOPs per token: 6 per parameter plus attention (12·L·C·T), as PaLM/nanoGPT count. */
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
