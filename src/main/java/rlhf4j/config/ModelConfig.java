package rlhf4j.config;

import static rlhf4j.config.Check.require;

import rlhf4j.model.GptSpec;
import rlhf4j.model.Norm;
import rlhf4j.model.Position;

/**
 * The {@code model} section: the GPT-2 shape (GPT-2 key names) and two architecture choices. There is no layer-norm epsilon: the
 * native LayerNorm op normalises without one (measured), so it is not configurable.
 */
public record ModelConfig(
        @Doc("number of transformer blocks") int nLayer,
        @Doc("attention heads per block; must divide n_embd") int nHead,
        @Doc("embedding width (d_model)") int nEmbd,
        @Doc("context length in tokens (n_positions)") int blockSize,
        @Doc("standard deviation of the normal weight initialisation") double initStd,
        @Doc("normalisation: layernorm (GPT-2's, gain and bias) or rmsnorm (gain only, eps 1e-6)") Norm norm,
        @Doc("positions: learned (GPT-2's wpe table) or rope (rotary queries and keys, no wpe)") Position position) {

    /** GPT-2's LayerNorm and learned positions. */
    public ModelConfig(int nLayer, int nHead, int nEmbd, int blockSize, double initStd) {
        this(nLayer, nHead, nEmbd, blockSize, initStd, Norm.LAYERNORM, Position.LEARNED);
    }

    public ModelConfig {
        require(nLayer > 0, "n_layer", "must be positive, got %d", nLayer);
        require(nHead > 0, "n_head", "must be positive, got %d", nHead);
        require(nEmbd > 0, "n_embd", "must be positive, got %d", nEmbd);
        require(nEmbd % nHead == 0, "n_embd", "%d is not divisible by {n_head} (%d)", nEmbd, nHead);
        require(blockSize > 0, "block_size", "must be positive, got %d", blockSize);
        require(initStd > 0, "init_std", "must be positive, got %s", initStd);
        require(norm != null, "norm", "must be layernorm or rmsnorm");
        require(position != null, "position", "must be learned or rope");
        require(position != Position.ROPE || (nEmbd / nHead) % 2 == 0, "position",
                "rope needs an even head size, {n_embd} / {n_head} is %d", nEmbd / nHead);
    }

    public static ModelConfig defaults() {
        return new ModelConfig(2, 4, 128, 128, 0.02);
    }

    /** The architecture for a tokenizer of {@code vocabSize} tokens. */
    public GptSpec spec(int vocabSize) {
        return new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position);
    }
}
