package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code model} section: the GPT-2 shape (GPT-2 key names). There is no layer-norm epsilon: the
 * native LayerNorm op normalises without one (measured), so it is not configurable.
 */
public record ModelConfig(
        @Doc("number of transformer blocks") int nLayer,
        @Doc("attention heads per block; must divide n_embd") int nHead,
        @Doc("embedding width (d_model)") int nEmbd,
        @Doc("context length in tokens (n_positions)") int blockSize,
        @Doc("standard deviation of the normal weight initialisation") double initStd) {

    public ModelConfig {
        require(nLayer > 0, "n_layer", "must be positive, got %d", nLayer);
        require(nHead > 0, "n_head", "must be positive, got %d", nHead);
        require(nEmbd > 0, "n_embd", "must be positive, got %d", nEmbd);
        require(nEmbd % nHead == 0, "n_embd", "%d is not divisible by {n_head} (%d)", nEmbd, nHead);
        require(blockSize > 0, "block_size", "must be positive, got %d", blockSize);
        require(initStd > 0, "init_std", "must be positive, got %s", initStd);
    }

    public static ModelConfig defaults() {
        return new ModelConfig(2, 4, 128, 128, 0.02);
    }

    /** Width of one attention head. */
    public int headSize() {
        return nEmbd / nHead;
    }
}
