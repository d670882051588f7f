package rlhf4j.model;

/** How the model knows where a token is ({@code model.position}). */
public enum Position {
    /** A learned position embedding {@code wpe} added to the token embedding (GPT-2's). */
    LEARNED,
    /** Rotary embeddings: queries and keys rotated by their position in each head (RoFormer, LLaMA); no {@code wpe}. */
    ROPE
}
