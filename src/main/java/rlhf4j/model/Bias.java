package rlhf4j.model;

/** Which linear layers of the blocks have a bias ({@code model.bias}); the scalar head always has one. */
public enum Bias {
    /** Every linear (GPT-2's). */
    ALL,
    /** None (LLaMA's). */
    NONE,
    /** Only the query, key and value projection {@code attn.c_attn} (Qwen2's). */
    QKV;

    /** Whether {@code attn.c_attn} has a bias. */
    public boolean onQkv() {
        return this != NONE;
    }

    /** Whether the other linears ({@code attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj}) have one. */
    public boolean onOthers() {
        return this == ALL;
    }
}
