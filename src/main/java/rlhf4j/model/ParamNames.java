package rlhf4j.model;

/** The GPT-2 tensor names used in the graph, in {@code model.safetensors} and in the optimizer state. */
public final class ParamNames {
    public static final String WTE = "wte.weight";
    public static final String WPE = "wpe.weight";
    public static final String LN_F_WEIGHT = "ln_f.weight";
    public static final String LN_F_BIAS = "ln_f.bias";
    public static final String SCORE_WEIGHT = "score.weight";
    public static final String SCORE_BIAS = "score.bias";

    private ParamNames() {}

    /** Name of a per-layer tensor, e.g. {@code layer(0, "attn.c_attn.weight")} → {@code h.0.attn.c_attn.weight}. */
    public static String layer(int index, String suffix) {
        return "h." + index + "." + suffix;
    }

    public static boolean isScoreHead(String name) {
        return name.startsWith("score.");
    }
}
