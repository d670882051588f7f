package rlhf4j.eval.judge;

import java.util.Objects;
import rlhf4j.eval.judge.TextMetrics;

/** Scores an answer by its chrF against the reference answer (0–100), the task metric the stages already report. */
public record ChrFJudge() implements Judge {
    public static final String NAME = "chrf";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean needsReference() {
        return true;
    }

    @Override
    public double score(String prompt, String answer, String reference) {
        Objects.requireNonNull(reference, "chrf needs a reference answer");
        return TextMetrics.chrF(answer, reference);
    }
}
