package rlhf4j.model;

/** The normalisation before each block and at the end of the trunk ({@code model.norm}). */
public enum Norm {
    /** LayerNorm with gain and bias (GPT-2's), with the spec's epsilon ({@link GptSpec#layerNormEpsilon}). */
    LAYERNORM,
    /** RMSNorm with a gain only: {@code x / sqrt(mean(x²) + eps) · g} (LLaMA's), eps {@link GptSpec#rmsNormEpsilon}. */
    RMSNORM
}
