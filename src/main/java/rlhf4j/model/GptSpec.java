package rlhf4j.model;

/**
 * The architecture of one GPT: what {@code config.json} records and every stage inherits. Besides
 * the shape, {@link #norm} and {@link #position} choose GPT-2's LayerNorm and learned positions (the
 * defaults) or RMSNorm and rotary positions.
 * Names follow Hugging Face GPT-2 ({@code n_layer}, {@code n_head}, {@code n_embd},
 * {@code n_positions}, {@code vocab_size}).
 */
public record GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize, Norm norm, Position position) {
    /** A GPT-2: LayerNorm and learned positions. */
    public GptSpec(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize) {
        this(nLayer, nHead, nEmbd, blockSize, vocabSize, Norm.LAYERNORM, Position.LEARNED);
    }

    public GptSpec {
        require(norm != null && position != null, "norm and position must be given");
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
}
