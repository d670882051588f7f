package rlhf4j.eval.judge;

/**
 * Scores one answer to one prompt; higher is better. A judge stands in for a human labeler or a task metric when
 * answers are compared, so every implementation is deterministic and cheap enough to call per sample.
 */
public interface Judge {
    /** The judge's name as configs spell it: "chrf", "sentiment", "vader". */
    String name();

    /** Whether {@link #score} needs the reference answer; callers may pass {@code null} when it does not. */
    boolean needsReference();

    /** The score of {@code answer} to {@code prompt}; {@code reference} may be null when {@link #needsReference()} is false. */
    double score(String prompt, String answer, String reference);
}
