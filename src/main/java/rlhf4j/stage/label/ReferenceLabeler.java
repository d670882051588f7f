package rlhf4j.stage.label;

import java.io.PrintStream;
import java.util.List;
import rlhf4j.eval.TextMetrics;
import rlhf4j.train.Preemption;

/**
 * A simulated annotator (the "gold labeler" set-up of Gao, Schulman and Hilton, 2022): scores each answer by chrF
 * against the prompt's reference completion, so equal chrF gives no pair. Synthetic preferences, not human ones:
 * it measures only what chrF measures. Deterministic.
 */
public final class ReferenceLabeler implements Labeler {
    @Override
    public String name() {
        return "reference";
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
            if (task.reference() == null) {
                throw new IllegalStateException("task " + task.id() + " has no reference");
            }
            double[] scores = new double[task.responses().size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = TextMetrics.chrF(task.responses().get(i), task.reference());
            }
            journal.record(task, Judgement.scores(scores), name());
        }
    }
}
