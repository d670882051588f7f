package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
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
 * GPT-2's {@code config.json} and tensor names, which are this project's own ({@link ParamNames}): {@link #GPT2}
 * for learned positions and LayerNorm, as {@code GPT2LMHeadModel} computes them; {@link #OWN} for the specs no
 * {@code transformers} architecture matches (RMSNorm with GELU and biases, RMSNorm with learned positions), which
 * adds {@code norm_type} and {@code position_embedding_type} and declares {@code model_type} {@code rlhf4j_gpt}, so
 * that {@code transformers} refuses the folder rather than load it as a GPT-2 with wrong logits. Folders written
 * before rotary models were declared as GPT-NeoX say {@code gpt2} with those two keys; they are read as written.
 */
final class Gpt2Architecture implements HfArchitecture {
    static final Gpt2Architecture GPT2 = new Gpt2Architecture("gpt2", "GPT2");
    static final Gpt2Architecture OWN = new Gpt2Architecture("rlhf4j_gpt", "Rlhf4jGpt");

    private static final String PREFIX = "transformer.";
    private static final String LM_HEAD = "lm_head.weight";
    private static final String NORM_KEY = "norm_type";
    private static final String POSITION_KEY = "position_embedding_type";
    /** This project's choices beyond GPT-2's, written by {@link #OWN} only where they are not GPT-2's. */
    private static final String MLP_KEY = "mlp_type";
    private static final String BIAS_KEY = "bias_type";

    private final String modelType;
    private final String classPrefix;

    private Gpt2Architecture(String modelType, String classPrefix) {
        this.modelType = modelType;
        this.classPrefix = classPrefix;
    }

    @Override
    public String modelType() {
        return modelType;
    }

    @Override
    public String className(boolean scoreHead) {
        return classPrefix + (scoreHead ? "ForSequenceClassification" : "LMHeadModel");
    }

    @Override
    public Map<String, Object> config(GptSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n_layer", s.nLayer());
        m.put("n_head", s.nHead());
        m.put("n_embd", s.nEmbd());
        m.put("n_positions", s.blockSize());
        m.put("n_ctx", s.blockSize());
        m.put("vocab_size", s.vocabSize());
        m.put("n_inner", s.mlpHidden());
        if (this == OWN) {
            m.put(NORM_KEY, s.norm().name().toLowerCase(Locale.ROOT));
            m.put(POSITION_KEY, s.position().name().toLowerCase(Locale.ROOT));
            if (s.nKvHead() != s.nHead()) {
                m.put("num_key_value_heads", s.nKvHead());
            }
            if (s.mlp() != Mlp.GELU) {
                m.put(MLP_KEY, s.mlp().name().toLowerCase(Locale.ROOT));
            }
            if (s.bias() != Bias.ALL) {
                m.put(BIAS_KEY, s.bias().name().toLowerCase(Locale.ROOT));
            }
            if (s.ropeTheta() != GptSpec.DEFAULT_ROPE_THETA) {
                m.put("rope_theta", s.ropeTheta());
            }
            if (s.rmsNormEpsilon() != GptSpec.DEFAULT_RMS_NORM_EPSILON) {
                m.put("rms_norm_eps", s.rmsNormEpsilon());
            }
            if (s.ropeScaling() != null) {
                m.put("rope_scaling", ConfigJson.ropeScalingJson(s.ropeScaling()));
            }
        }
        m.put("activation_function", s.activation().hfName());
        m.put("layer_norm_epsilon", s.layerNormEpsilon());
        m.put("resid_pdrop", 0.0);
        m.put("embd_pdrop", 0.0);
        m.put("attn_pdrop", 0.0);
        m.put("tie_word_embeddings", s.tiedHead());
        return m;
    }

    @Override
    public GptSpec spec(Path file, JsonNode c) {
        if (c.path("scale_attn_by_inverse_layer_idx").asBoolean(false)) {
            throw new DataException(file, "scale_attn_by_inverse_layer_idx true is not supported (attention "
                    + "scores here are scaled by 1/sqrt(head size) only)");
        }
        if (c.path("reorder_and_upcast_attn").asBoolean(false)) {
            throw new DataException(file, "reorder_and_upcast_attn true is not supported");
        }
        int embd = ConfigJson.width(file, c, "n_embd");
        try {
            GptSpec gpt2 = new GptSpec(ConfigJson.layers(file, c, "n_layer"), ConfigJson.heads(file, c, "n_head"), embd,
                    ConfigJson.positions(file, c, "n_positions"), ConfigJson.vocab(file, c, "vocab_size"),
                    ConfigJson.choice(file, c, NORM_KEY, Norm.LAYERNORM),
                    ConfigJson.choice(file, c, POSITION_KEY, Position.LEARNED),
                    ConfigJson.activation(file, c, "activation_function", "gelu_new"),
                    ConfigJson.epsilon(file, c, "layer_norm_epsilon", 1e-5));
            GptSpec spec = gpt2.withMlp(ConfigJson.choice(file, c, MLP_KEY, Mlp.GELU),
                            ConfigJson.optionalInt(file, c, "n_inner", 4 * embd, 4 * ConfigJson.maxWidth()))
                    .withTiedHead(ConfigJson.optionalBoolean(file, c, "tie_word_embeddings", true));
            if (this == OWN) {
                spec = spec.withKvHeads(ConfigJson.optionalInt(file, c, "num_key_value_heads", gpt2.nHead(),
                                ConfigJson.maxHeads()))
                        .withBias(ConfigJson.choice(file, c, BIAS_KEY, Bias.ALL))
                        .withRopeTheta(ConfigJson.optionalPositive(file, c, "rope_theta", GptSpec.DEFAULT_ROPE_THETA))
                        .withRmsNormEpsilon(ConfigJson.epsilon(file, c, "rms_norm_eps", GptSpec.DEFAULT_RMS_NORM_EPSILON))
                        .withRopeScaling(ConfigJson.ropeScaling(file, c));
            }
            return spec;
        } catch (IllegalArgumentException e) {
            throw new DataException(file, e.getMessage());
        }
    }

    @Override
    public LinkedHashMap<String, Stored> layout(GptSpec spec, boolean scoreHead) {
        LinkedHashMap<String, Stored> m = new LinkedHashMap<>();
        for (String name : ParamNames.layout(spec, scoreHead).keySet()) {
            // transformers' score is a Linear [1, C]; the model's is [C, 1]
            m.put(name, new Stored(name, name.equals(ParamNames.SCORE_WEIGHT) ? TensorCodec.TRANSPOSE : TensorCodec.SAME));
        }
        return m;
    }

    /**
     * Takes off what {@code GPT2LMHeadModel.save_pretrained} adds: the {@code transformer.} prefix, the causal-mask
     * buffers and, for a tied head, an {@code lm_head.weight}, which must equal {@code wte.weight} (an untied head
     * is the model's own {@code lm_head.weight}). A score weight stored
     * [C, 1], as this project wrote it before it followed {@code transformers}' [1, C], is read as written.
     */
    @Override
    public LinkedHashMap<String, INDArray> normalise(Path file, LinkedHashMap<String, INDArray> tensors, GptSpec spec) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        INDArray lmHead = null;
        for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
            String name = t.getKey().startsWith(PREFIX) ? t.getKey().substring(PREFIX.length()) : t.getKey();
            INDArray value = t.getValue().isView() ? t.getValue().dup('c') : t.getValue();
            if (name.equals(LM_HEAD) && spec.tiedHead()) {
                lmHead = value;
            } else if (name.equals(ParamNames.SCORE_WEIGHT) && value.rank() == 2 && value.size(1) == 1
                    && value.size(0) > 1) {
                out.put(name, value.transpose().dup('c'));                                 // [1, C]
            } else if (!name.endsWith(".attn.bias") && !name.endsWith(".attn.masked_bias")) {
                out.put(name, value);
            }
        }
        INDArray wte = out.get(ParamNames.WTE);
        if (lmHead != null && (wte == null || !lmHead.equalShapes(wte) || !lmHead.equals(wte))) {
            throw new DataException(file, LM_HEAD + " differs from " + ParamNames.WTE
                    + " but config.json says tie_word_embeddings true (absent: GPT-2's default)");
        }
        return out;
    }
}
