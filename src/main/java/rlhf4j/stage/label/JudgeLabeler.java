package rlhf4j.stage.label;

import java.io.PrintStream;
import java.util.List;
import rlhf4j.eval.judge.Judge;
import rlhf4j.train.Preemption;

/**
 * A simulated annotator (the "gold labeler" set-up of Gao, Schulman and Hilton, 2022): scores each answer with a
 * {@link Judge} — chrF against the prompt's reference completion ({@code reference}), or how positive and natural
 * an answer reads ({@code sentiment}) — and ranks by the scores, so equal scores give no pair. Synthetic
 * preferences, not human ones: they measure only what the judge measures. Deterministic.
 */
public final class JudgeLabeler implements Labeler {
    private final String name;
    private final Judge judge;

    /** @param name the labeler's name in the manifest and the rankings ({@code reference}, {@code sentiment}) */
    public JudgeLabeler(String name, Judge judge) {
        this.name = name;
        this.judge = judge;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void label(List<LabelTask> tasks, RankingsJournal journal, Preemption preemption, PrintStream out) {
        for (LabelTask task : tasks) {
            if (preemption.requested()) {
                return;
            }
            if (journal.settled(task.id())) {
                continue;
            }
            if (judge.needsReference() && task.reference() == null) {
                throw new IllegalStateException("task " + task.id() + " has no reference");
            }
            double[] scores = new double[task.responses().size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = judge.score(task.question(), task.responses().get(i), task.reference());
            }
            journal.record(task, Judgement.scores(scores), name());
        }
    }
}
