package rlhf4j.eval.judge;

/** Scores one answer to one prompt; higher is better. */
public interface Judge {
    String name();                 // as configs name it: "chrf", "sentiment", "vader"

    boolean needsReference();

    double score(String prompt, String answer, String reference);   // reference may be null when !needsReference()
}
