package rlhf4j.model;

/** The normalisation before each block and at the end of the trunk ({@code model.norm}). */
public enum Norm {
    /** LayerNorm with gain and bias (GPT-2's), with the spec's epsilon ({@link GptSpec#layerNormEpsilon}). */
    LAYERNORM,
    /** RMSNorm with a gain only: {@code x / sqrt(mean(x²) + 1e-6) · g} (LLaMA's). */
    RMSNORM;

    /** The epsilon of RMSNorm (LLaMA's {@code rms_norm_eps}). */
    public static final double RMS_EPSILON = 1e-6;
}
