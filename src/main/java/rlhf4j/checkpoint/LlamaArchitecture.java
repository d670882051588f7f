package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.io.DataException;
import rlhf4j.model.Bias;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;

/**
 * Llama ({@code LlamaForCausalLM}: SmolLM, Llama 2 and 3, Llama 3.1 and 3.2 with their {@code llama3} rope scaling)
 * and Qwen2
 * ({@code Qwen2ForCausalLM}: Qwen2 and 2.5, the same block with biases on q, k and v): RMSNorm, rotary embedding on
 * the whole head with the "rotate half" pairing {@code transformers} stores these models in, grouped-query attention,
 * the SwiGLU MLP {@code down(silu(gate(x)) · up(x))}, a tied or untied head. The model fuses q, k and v into one
 * {@code c_attn} [C, (H + 2·Hkv)·D] and gate and up into one {@code c_fc} [C, 2I]; the file keeps them apart, as
 * {@code torch.nn.Linear} weights [out, in] ({@link Stored} column ranges, {@link TensorCodec#TRANSPOSE}).
 */
final class LlamaArchitecture implements HfArchitecture {
    static final LlamaArchitecture LLAMA = new LlamaArchitecture("llama", "Llama", Bias.NONE);
    static final LlamaArchitecture QWEN2 = new LlamaArchitecture("qwen2", "Qwen2", Bias.QKV);

    private final String modelType;
    private final String classPrefix;
    private final Bias bias;

    private LlamaArchitecture(String modelType, String classPrefix, Bias bias) {
        this.modelType = modelType;
        this.classPrefix = classPrefix;
        this.bias = bias;
    }

    /** Whether the spec is this architecture's block. */
    boolean matches(GptSpec s) {
        return s.norm() == Norm.RMSNORM && s.position() == Position.ROPE && s.mlp() == Mlp.SWIGLU && s.bias() == bias;
    }

    @Override
    public String modelType() {
        return modelType;
    }

    @Override
    public String className(boolean scoreHead) {
        return classPrefix + (scoreHead ? "ForSequenceClassification" : "ForCausalLM");
    }

    @Override
    public Map<String, Object> config(GptSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden_size", s.nEmbd());
        m.put("intermediate_size", s.mlpHidden());
        m.put("num_hidden_layers", s.nLayer());
        m.put("num_attention_heads", s.nHead());
        m.put("num_key_value_heads", s.nKvHead());
        m.put("head_dim", s.headDim());
        m.put("max_position_embeddings", s.blockSize());
        m.put("vocab_size", s.vocabSize());
        m.put("hidden_act", "silu");
        m.put("rms_norm_eps", s.rmsNormEpsilon());
        m.put("rope_theta", s.ropeTheta());
        m.put("rope_scaling", ConfigJson.ropeScalingJson(s.ropeScaling()));
        if (this == LLAMA) {
            m.put("attention_bias", false);
            m.put("mlp_bias", false);
        } else {
            m.put("use_sliding_window", false);
        }
        m.put("attention_dropout", 0.0);
        m.put("tie_word_embeddings", s.tiedHead());
        m.put("torch_dtype", "float32");
        return m;
    }

    @Override
    public GptSpec spec(Path file, JsonNode c) {
        int width = ConfigJson.width(file, c, "hidden_size");
        int heads = ConfigJson.heads(file, c, "num_attention_heads");
        ConfigJson.require(file, c, "hidden_act", "silu", "silu", "the MLP here is SwiGLU, silu(gate) · up");
        if (this == LLAMA) {
            ConfigJson.require(file, c, "attention_bias", false, false, "Llama's attention here has no biases");
            ConfigJson.require(file, c, "mlp_bias", false, false, "Llama's MLP here has no biases");
        } else {
            ConfigJson.require(file, c, "use_sliding_window", false, false, "attention here sees the whole context");
        }
        JsonNode headDim = c.get("head_dim");
        if (headDim != null && !headDim.isNull() && heads > 0 && headDim.asInt(-1) != width / heads) {
            throw new DataException(file, "head_dim " + headDim + " is not supported: heads here are hidden_size / "
                    + "num_attention_heads = " + width / heads + " wide");
        }
        try {
            return new GptSpec(ConfigJson.layers(file, c, "num_hidden_layers"), heads, width,
                    ConfigJson.positions(file, c, "max_position_embeddings"), ConfigJson.vocab(file, c, "vocab_size"),
                    Norm.RMSNORM, Position.ROPE)
                    .withKvHeads(ConfigJson.optionalInt(file, c, "num_key_value_heads",
                            this == QWEN2 ? 32 : heads, ConfigJson.maxHeads()))       // absent: each config class's default
                    .withMlp(Mlp.SWIGLU, ConfigJson.width(file, c, "intermediate_size"))
                    .withBias(bias)
                    .withRopeTheta(ConfigJson.optionalPositive(file, c, "rope_theta", GptSpec.DEFAULT_ROPE_THETA))
                    .withRmsNormEpsilon(ConfigJson.epsilon(file, c, "rms_norm_eps", GptSpec.DEFAULT_RMS_NORM_EPSILON))
                    .withTiedHead(ConfigJson.optionalBoolean(file, c, "tie_word_embeddings", false))
                    .withRopeScaling(ConfigJson.ropeScaling(file, c));
        } catch (IllegalArgumentException e) {
            throw new DataException(file, e.getMessage());
        }
    }

    @Override
    public LinkedHashMap<String, Stored> layout(GptSpec spec, boolean scoreHead) {
        int q = spec.nEmbd();
        int kv = spec.kvWidth();
        int inner = spec.mlpHidden();
        LinkedHashMap<String, Stored> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new Stored(ParamNames.WTE, TensorCodec.SAME));                    // [V, C]
        for (int l = 0; l < spec.nLayer(); l++) {
            String ours = "h." + l + ".";
            String theirs = "model.layers." + l + ".";
            m.put(theirs + "input_layernorm.weight", new Stored(ours + "ln_1.weight", TensorCodec.SAME));
            String[] names = {"q_proj", "k_proj", "v_proj"};
            int[] bounds = {0, q, q + kv, q + 2 * kv};
            for (int i = 0; i < 3; i++) {
                m.put(theirs + "self_attn." + names[i] + ".weight", new Stored(ours + "attn.c_attn.weight",
                        TensorCodec.TRANSPOSE, bounds[i], bounds[i + 1]));                                // [out, C]
                if (spec.bias().onQkv()) {
                    m.put(theirs + "self_attn." + names[i] + ".bias", new Stored(ours + "attn.c_attn.bias",
                            TensorCodec.SAME, bounds[i], bounds[i + 1]));                                 // [out]
                }
            }
            m.put(theirs + "self_attn.o_proj.weight", new Stored(ours + "attn.c_proj.weight", TensorCodec.TRANSPOSE));
            m.put(theirs + "post_attention_layernorm.weight", new Stored(ours + "ln_2.weight", TensorCodec.SAME));
            m.put(theirs + "mlp.gate_proj.weight",
                    new Stored(ours + "mlp.c_fc.weight", TensorCodec.TRANSPOSE, 0, inner));                  // [I, C]
            m.put(theirs + "mlp.up_proj.weight",
                    new Stored(ours + "mlp.c_fc.weight", TensorCodec.TRANSPOSE, inner, 2 * inner));          // [I, C]
            m.put(theirs + "mlp.down_proj.weight", new Stored(ours + "mlp.c_proj.weight", TensorCodec.TRANSPOSE));
        }
        m.put("model.norm.weight", new Stored(ParamNames.LN_F_WEIGHT, TensorCodec.SAME));
        if (!spec.tiedHead()) {
            m.put("lm_head.weight", new Stored(ParamNames.LM_HEAD, TensorCodec.SAME));                        // [V, C]
        }
        if (scoreHead) {
            m.put(ParamNames.SCORE_WEIGHT, new Stored(ParamNames.SCORE_WEIGHT, TensorCodec.TRANSPOSE));       // [1, C]
            m.put(ParamNames.SCORE_BIAS, new Stored(ParamNames.SCORE_BIAS, TensorCodec.SAME));               // [1]
        }
        return m;
    }

    /** Takes off the rotary {@code inv_freq} buffers older {@code transformers} saved, and a tied head's copy. */
    @Override
    public LinkedHashMap<String, INDArray> normalise(Path file,
            LinkedHashMap<String, INDArray> tensors, GptSpec spec) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (name.endsWith(".rotary_emb.inv_freq")) {
                return;
            }
            if (name.equals("lm_head.weight") && spec.tiedHead()) {
                INDArray embed = tensors.get("model.embed_tokens.weight");
                if (embed == null || !embed.equalShapes(t) || !embed.equals(t)) {
                    throw new DataException(file, "lm_head.weight differs from model.embed_tokens.weight but "
                            + "config.json says tie_word_embeddings true");
                }
                return;
            }
            out.put(name, t.isView() ? t.dup('c') : t);
        });
        return out;
    }
}
