package rlhf4j.config;

import static rlhf4j.config.Check.require;

import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.Position;
import rlhf4j.nn.Precision;

/**
 * The {@code model} section: the GPT-2 shape (GPT-2 key names) and the architecture choices — GPT-2's by default,
 * a LLaMA's or Qwen2's with {@code norm: rmsnorm, position: rope, mlp: swiglu, n_kv_head}, {@code bias} and
 * {@code tie_word_embeddings}. There is no layer-norm epsilon: the native LayerNorm op normalises without one
 * (measured), so it is not configurable. {@code n_kv_head} and {@code mlp_hidden} take 0 for their defaults,
 * which depend on other keys (n_head, 4·n_embd).
 */
public record ModelConfig(
        @Doc("number of transformer blocks") int nLayer,
        @Doc("attention heads per block; must divide n_embd") int nHead,
        @Doc("embedding width (d_model)") int nEmbd,
        @Doc("context length in tokens (n_positions)") int blockSize,
        @Doc("standard deviation of the normal weight initialisation") double initStd,
        @Doc("normalisation: layernorm (GPT-2's, gain and bias) or rmsnorm (gain only, epsilon rms_norm_eps)") Norm norm,
        @Doc("positions: learned (GPT-2's wpe table) or rope (rotary queries and keys, no wpe)") Position position,
        @Doc("key/value heads per block, each shared by n_head / n_kv_head query heads (grouped-query attention); "
                + "must divide n_head; 0: n_head (GPT-2's multi-head attention)") int nKvHead,
        @Doc("feed-forward block: gelu (GPT-2's, c_proj(gelu(c_fc(x)))) or swiglu (LLaMA's, c_proj(silu(gate)·up), "
                + "gate and up one fused c_fc)") Mlp mlp,
        @Doc("hidden width of the feed-forward block (intermediate_size); 0: 4·n_embd") int mlpHidden,
        @Doc("which linears have a bias: all (GPT-2), none (LLaMA) or qkv (only the query/key/value projection, "
                + "Qwen2)") Bias bias,
        @Doc("base of the rotary angles (rope_theta; LLaMA 3 uses 500000); rope positions only") double ropeTheta,
        @Doc("epsilon of RMSNorm (rms_norm_eps); rmsnorm only") double rmsNormEps,
        @Doc("LM head tied to the token embedding (true, GPT-2's) or its own lm_head.weight [vocab, n_embd]")
        boolean tieWordEmbeddings,
        @Doc("number format of the matrix products on the kernel engine: bf16 (inputs rounded to bfloat16; FP32 "
                + "accumulation, weights, gradients, optimizer, norms and losses, as torch.autocast does) or fp32; "
                + "bf16 runs in fp32 on a CPU without BF16 instructions, and the engine line says so") Precision precision) {

    /** GPT-2's LayerNorm and learned positions. */
    public ModelConfig(int nLayer, int nHead, int nEmbd, int blockSize, double initStd) {
        this(nLayer, nHead, nEmbd, blockSize, initStd, Norm.LAYERNORM, Position.LEARNED);
    }

    /** GPT-2's block with these norm and positions. */
    public ModelConfig(int nLayer, int nHead, int nEmbd, int blockSize, double initStd, Norm norm, Position position) {
        this(nLayer, nHead, nEmbd, blockSize, initStd, norm, position, 0, Mlp.GELU, 0, Bias.ALL,
                GptSpec.DEFAULT_ROPE_THETA, GptSpec.DEFAULT_RMS_NORM_EPSILON, true, Precision.BF16);
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
        require(nKvHead >= 0, "n_kv_head", "must be positive (or 0 for n_head), got %d", nKvHead);
        require(nKvHead == 0 || nHead % nKvHead == 0, "n_kv_head",
                "%d does not divide {n_head} (%d): each key/value head serves a whole group of query heads",
                nKvHead, nHead);
        require(mlp != null, "mlp", "must be gelu or swiglu");
        require(mlpHidden >= 0, "mlp_hidden", "must be positive (or 0 for 4·n_embd), got %d", mlpHidden);
        require(bias != null, "bias", "must be all, none or qkv");
        require(ropeTheta > 0 && Double.isFinite(ropeTheta), "rope_theta", "must be a positive number, got %s",
                ropeTheta);
        require(precision != null, "precision", "must be fp32 or bf16");
        require(rmsNormEps >= 0 && rmsNormEps < 1, "rms_norm_eps", "must be in [0, 1), got %s", rmsNormEps);
    }

    public static ModelConfig defaults() {
        return new ModelConfig(2, 4, 128, 128, 0.02);
    }

    /** The architecture for a tokenizer of {@code vocabSize} tokens. */
    public GptSpec spec(int vocabSize) {
        GptSpec gpt2 = new GptSpec(nLayer, nHead, nEmbd, blockSize, vocabSize, norm, position);
        return gpt2.withKvHeads(nKvHead == 0 ? nHead : nKvHead).withMlp(mlp, mlpHidden == 0 ? 4 * nEmbd : mlpHidden)
                .withBias(bias)
                // a setting of a part the model does not have keeps its default, so the spec (and resume's check of
                // it against the checkpoint's) does not depend on it
                .withRopeTheta(position == Position.ROPE ? ropeTheta : GptSpec.DEFAULT_ROPE_THETA)
                .withRmsNormEpsilon(norm == Norm.RMSNORM ? rmsNormEps : GptSpec.DEFAULT_RMS_NORM_EPSILON)
                .withTiedHead(tieWordEmbeddings);
    }
}
