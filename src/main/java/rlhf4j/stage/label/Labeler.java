package rlhf4j.stage.label;

import java.io.PrintStream;
import java.util.List;
import rlhf4j.train.Preemption;

/**
 * Who ranks the candidate answers of the label stage: a simulated annotator scoring with a judge ({@link JudgeLabeler}), an
 * external judge ({@link CommandLabeler}) or people in a browser ({@link HumanLabeler}). A labeler judges
 * the tasks its {@link RankingsJournal} does not hold yet and records each judgement there the moment it
 * is made, so an interrupted run keeps everything judged before.
 */
public interface Labeler {
    /** Its name in the manifest and the rankings ({@code reference}, {@code command}, {@code human}). */
    String name();

    /**
     * Judges the pending tasks of {@code tasks} (those {@code journal} neither holds nor skipped). Returns when
     * every task is judged or skipped, or early when {@code preemption} asks to stop.
     */
    void label(List<LabelTask> tasks, RankingsJournal journal, Preemption preemption, PrintStream out);
}
