package rlhf4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The GPT-2 tensor names used in the graph, in {@code model.safetensors} and in the optimizer state. */
public final class ParamNames {
    public static final String WTE = "wte.weight";
    public static final String WPE = "wpe.weight";
    public static final String LN_F_WEIGHT = "ln_f.weight";
    public static final String LN_F_BIAS = "ln_f.bias";
    /** The untied LM head [V, C] ({@link GptSpec#tiedHead} false); a tied head reads {@link #WTE}. */
    public static final String LM_HEAD = "lm_head.weight";
    public static final String SCORE_WEIGHT = "score.weight";
    public static final String SCORE_BIAS = "score.bias";

    private ParamNames() {}

    /** Name of a per-layer tensor, e.g. {@code layer(0, "attn.c_attn.weight")} → {@code h.0.attn.c_attn.weight}. */
    public static String layer(int index, String suffix) {
        return "h." + index + "." + suffix;
    }

    /** The table the LM head multiplies by: the token embedding, or the untied {@link #LM_HEAD}. */
    public static String lmHead(GptSpec spec) {
        return spec.tiedHead() ? WTE : LM_HEAD;
    }

    /**
     * Every tensor of the model with its shape, in file order; with {@code scoreHead} the scalar head too. Biases the
     * spec leaves out ({@link GptSpec#bias}) are not in it, nor {@link #LM_HEAD} when the head is tied.
     */
    public static LinkedHashMap<String, long[]> layout(GptSpec spec, boolean scoreHead) {
        long c = spec.nEmbd();
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        m.put(WTE, new long[] {spec.vocabSize(), c});                   // [V, C]
        boolean biasedNorm = spec.norm() == Norm.LAYERNORM;
        boolean others = spec.bias().onOthers();
        long qkv = spec.qkvWidth();
        long fc = spec.fcWidth();
        long hidden = spec.mlpHidden();
        if (spec.position() == Position.LEARNED) {
            m.put(WPE, new long[] {spec.blockSize(), c});               // [T, C]
        }
        for (int i = 0; i < spec.nLayer(); i++) {
            m.put(layer(i, "ln_1.weight"), new long[] {c});              // [C]
            if (biasedNorm) {
                m.put(layer(i, "ln_1.bias"), new long[] {c});            // [C]
            }
            m.put(layer(i, "attn.c_attn.weight"), new long[] {c, qkv});  // [C, (H + 2·Hkv)·D]
            if (spec.bias().onQkv()) {
                m.put(layer(i, "attn.c_attn.bias"), new long[] {qkv});   // [(H + 2·Hkv)·D]
            }
            m.put(layer(i, "attn.c_proj.weight"), new long[] {c, c});    // [C, C]
            if (others) {
                m.put(layer(i, "attn.c_proj.bias"), new long[] {c});     // [C]
            }
            m.put(layer(i, "ln_2.weight"), new long[] {c});              // [C]
            if (biasedNorm) {
                m.put(layer(i, "ln_2.bias"), new long[] {c});            // [C]
            }
            m.put(layer(i, "mlp.c_fc.weight"), new long[] {c, fc});      // [C, I] or [C, 2I]
            if (others) {
                m.put(layer(i, "mlp.c_fc.bias"), new long[] {fc});       // [I] or [2I]
            }
            m.put(layer(i, "mlp.c_proj.weight"), new long[] {hidden, c}); // [I, C]
            if (others) {
                m.put(layer(i, "mlp.c_proj.bias"), new long[] {c});      // [C]
            }
        }
        m.put(LN_F_WEIGHT, new long[] {c});                              // [C]
        if (biasedNorm) {
            m.put(LN_F_BIAS, new long[] {c});                            // [C]
        }
        if (!spec.tiedHead()) {
            m.put(LM_HEAD, new long[] {spec.vocabSize(), c});            // [V, C]
        }
        if (scoreHead) {
            m.put(SCORE_WEIGHT, new long[] {c, 1});                      // [C, 1]
            m.put(SCORE_BIAS, new long[] {1});                           // [1]
        }
        return m;
    }

    /** The entries of {@code grads} in the order of {@code params} (both engines give their gradients this way). */
    public static Map<String, INDArray> inOrder(Map<String, INDArray> params, Map<String, INDArray> grads) {
        Map<String, INDArray> ordered = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            INDArray g = grads.get(name);
            if (g != null) {
                ordered.put(name, g);
            }
        }
        return ordered;
    }
}
