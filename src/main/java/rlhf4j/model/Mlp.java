package rlhf4j.model;

/** The feed-forward half of each block ({@code model.mlp}). */
public enum Mlp {
    /** GPT-2's: {@code c_proj(act(c_fc(x)))}, act the spec's GELU ({@link GptSpec#activation}); c_fc [C, I]. */
    GELU,
    /**
     * LLaMA's and Qwen2's: {@code c_proj(silu(gate) · up)} with gate and up the two halves of one fused projection
     * c_fc [C, 2I] (gate first), so the kernels still run one GEMM for both.
     */
    SWIGLU
}
