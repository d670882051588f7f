package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.io.DataException;
import rlhf4j.model.GptSpec;
import rlhf4j.model.Mlp;
import rlhf4j.model.Norm;
import rlhf4j.model.ParamNames;
import rlhf4j.model.Position;

/**
 * GPT-NeoX ({@code GPTNeoXForCausalLM}) as the architecture of a model with rotary positions and LayerNorm: with
 * {@code use_parallel_residual: false} its block is this project's (x + attn(ln₁(x)), then + mlp(ln₂(x))), with
 * {@code rotary_pct: 1} every head dimension is rotated, and its rotary pairing is the same "rotate half" (dimension
 * i with i + D/2, angle p·θ^(−2i/D)). What differs is only storage: {@code torch.nn.Linear} weights [out, in], and a
 * fused {@code query_key_value} whose rows go head by head, each head's q | k | v ({@link TensorCodec#NEOX_QKV}).
 * A tied head ({@code tie_word_embeddings: true}) is written as a copy of the embedding in {@code embed_out.weight}
 * as well, for readers that do not tie; an untied one is {@code embed_out.weight}. {@code GPTNeoXForSequenceClassification}'s score has no bias:
 * {@code transformers} ignores a reward model's {@code score.bias}, a constant added to every score.
 */
final class NeoXArchitecture implements HfArchitecture {
    static final NeoXArchitecture INSTANCE = new NeoXArchitecture();

    private static final String PREFIX = "gpt_neox.";
    private static final String EMBED_OUT = "embed_out.weight";

    private NeoXArchitecture() {}

    @Override
    public String modelType() {
        return "gpt_neox";
    }

    @Override
    public String className(boolean scoreHead) {
        return scoreHead ? "GPTNeoXForSequenceClassification" : "GPTNeoXForCausalLM";
    }

    @Override
    public Map<String, Object> config(GptSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("num_hidden_layers", s.nLayer());
        m.put("num_attention_heads", s.nHead());
        m.put("hidden_size", s.nEmbd());
        m.put("intermediate_size", s.mlpHidden());
        m.put("max_position_embeddings", s.blockSize());
        m.put("vocab_size", s.vocabSize());
        m.put("hidden_act", s.activation().hfName());
        m.put("layer_norm_eps", s.layerNormEpsilon());
        m.put("rotary_pct", 1.0);
        m.put("rotary_emb_base", s.ropeTheta());         // the name transformers read before 4.45
        m.put("rope_theta", s.ropeTheta());              // and after
        m.put("use_parallel_residual", false);
        m.put("attention_bias", true);
        m.put("hidden_dropout", 0.0);
        m.put("attention_dropout", 0.0);
        m.put("tie_word_embeddings", s.tiedHead());
        return m;
    }

    @Override
    public GptSpec spec(Path file, JsonNode c) {
        int width = ConfigJson.width(file, c, "hidden_size");
        ConfigJson.require(file, c, "use_parallel_residual", true, false,
                "the blocks here are sequential (x + attn(ln1(x)), then + mlp(ln2(x)))");
        ConfigJson.require(file, c, "rotary_pct", 0.25, 1.0, "every head dimension is rotated here");
        ConfigJson.require(file, c, "attention_bias", true, true, "the attention here has biases");
        JsonNode base = c.has("rope_theta") ? c.get("rope_theta") : c.get("rotary_emb_base");
        double theta = base == null || base.isNull() ? GptSpec.DEFAULT_ROPE_THETA : base.asDouble(-1);
        JsonNode scaling = c.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new DataException(file, "rope_scaling " + scaling + " is not supported");
        }
        try {
            return new GptSpec(ConfigJson.layers(file, c, "num_hidden_layers"),
                    ConfigJson.heads(file, c, "num_attention_heads"), width,
                    ConfigJson.positions(file, c, "max_position_embeddings"), ConfigJson.vocab(file, c, "vocab_size"),
                    Norm.LAYERNORM, Position.ROPE, ConfigJson.activation(file, c, "hidden_act", "gelu"),
                    ConfigJson.epsilon(file, c, "layer_norm_eps", 1e-5))
                    .withMlp(Mlp.GELU, ConfigJson.optionalInt(file, c, "intermediate_size", 24576,      // GPTNeoXConfig's
                            4 * ConfigJson.maxWidth()))
                    .withRopeTheta(theta)
                    .withTiedHead(ConfigJson.optionalBoolean(file, c, "tie_word_embeddings", false));
        } catch (IllegalArgumentException e) {
            throw new DataException(file, e.getMessage());
        }
    }

    @Override
    public LinkedHashMap<String, Stored> layout(GptSpec spec, boolean scoreHead) {
        LinkedHashMap<String, Stored> m = new LinkedHashMap<>();
        m.put(PREFIX + "embed_in.weight", new Stored(ParamNames.WTE, TensorCodec.SAME));          // [V, C]
        for (int l = 0; l < spec.nLayer(); l++) {
            String ours = "h." + l + ".";
            String theirs = PREFIX + "layers." + l + ".";
            for (String p : new String[] {"weight", "bias"}) {
                m.put(theirs + "input_layernorm." + p, new Stored(ours + "ln_1." + p, TensorCodec.SAME));
            }
            for (String p : new String[] {"weight", "bias"}) {
                m.put(theirs + "attention.query_key_value." + p,
                        new Stored(ours + "attn.c_attn." + p, TensorCodec.NEOX_QKV));               // [3C, C], [3C]
            }
            m.put(theirs + "attention.dense.weight", new Stored(ours + "attn.c_proj.weight", TensorCodec.TRANSPOSE));
            m.put(theirs + "attention.dense.bias", new Stored(ours + "attn.c_proj.bias", TensorCodec.SAME));
            for (String p : new String[] {"weight", "bias"}) {
                m.put(theirs + "post_attention_layernorm." + p, new Stored(ours + "ln_2." + p, TensorCodec.SAME));
            }
            m.put(theirs + "mlp.dense_h_to_4h.weight", new Stored(ours + "mlp.c_fc.weight", TensorCodec.TRANSPOSE));
            m.put(theirs + "mlp.dense_h_to_4h.bias", new Stored(ours + "mlp.c_fc.bias", TensorCodec.SAME));
            m.put(theirs + "mlp.dense_4h_to_h.weight", new Stored(ours + "mlp.c_proj.weight", TensorCodec.TRANSPOSE));
            m.put(theirs + "mlp.dense_4h_to_h.bias", new Stored(ours + "mlp.c_proj.bias", TensorCodec.SAME));
        }
        m.put(PREFIX + "final_layer_norm.weight", new Stored(ParamNames.LN_F_WEIGHT, TensorCodec.SAME));
        m.put(PREFIX + "final_layer_norm.bias", new Stored(ParamNames.LN_F_BIAS, TensorCodec.SAME));
        if (!spec.tiedHead()) {
            m.put(EMBED_OUT, new Stored(ParamNames.LM_HEAD, TensorCodec.SAME));                          // [V, C]
        }
        if (scoreHead) {
            m.put(ParamNames.SCORE_WEIGHT, new Stored(ParamNames.SCORE_WEIGHT, TensorCodec.TRANSPOSE));   // [1, C]
            m.put(ParamNames.SCORE_BIAS, new Stored(ParamNames.SCORE_BIAS, TensorCodec.SAME));           // [1]
        }
        return m;
    }

    @Override
    public Map<String, INDArray> extras(Map<String, INDArray> params) {
        boolean tied = !params.containsKey(ParamNames.LM_HEAD);
        return params.containsKey(ParamNames.SCORE_WEIGHT) || !tied ? Map.of()
                : Map.of(EMBED_OUT, params.get(ParamNames.WTE));
    }

    /**
     * Takes off a tied head's copy, which must equal the embedding, and the buffers
     * older {@code transformers} saved (the causal mask, {@code masked_bias}, the rotary {@code inv_freq}).
     */
    @Override
    public LinkedHashMap<String, INDArray> normalise(Path file, LinkedHashMap<String, INDArray> tensors, GptSpec spec) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        INDArray head = null;
        for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
            String name = t.getKey();
            INDArray value = t.getValue().isView() ? t.getValue().dup('c') : t.getValue();
            if (name.equals(EMBED_OUT) && spec.tiedHead()) {
                head = value;
            } else if (!name.endsWith(".attention.bias") && !name.endsWith(".attention.masked_bias")
                    && !name.endsWith(".rotary_emb.inv_freq")) {
                out.put(name, value);
            }
        }
        INDArray embed = out.get(PREFIX + "embed_in.weight");
        if (head != null && (embed == null || !head.equalShapes(embed) || !head.equals(embed))) {
            throw new DataException(file, EMBED_OUT + " differs from " + PREFIX + "embed_in.weight"
                    + " but config.json says tie_word_embeddings true");
        }
        return out;
    }
}
