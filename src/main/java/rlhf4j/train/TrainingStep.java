package rlhf4j.train;

import java.util.List;
import java.util.Map;

/**
 * One optimizer step of a stage, what {@link Trainer} runs between its bookkeeping: for pretrain, SFT
 * and RM the gradient of a batch and an AdamW update ({@link GradientStep}); for PPO a rollout and
 * its minibatch updates. It must depend only on the step (and the state it updates), so that a
 * resumed run repeats an uninterrupted one.
 */
public interface TrainingStep {
    /**
     * What one step did.
     *
     * @param loss     the step's loss (the metrics row's {@code loss})
     * @param gradNorm the gradient norm before clipping
     * @param tokens   tokens processed (or generated) by the step
     * @param seconds  the step's own time, for {@code tokens_per_s}
     * @param skipped  updates skipped as non-finite in this step
     * @param metrics  the stage's own columns of the row
     * @param headline what the console shows before the held-out numbers ("loss 1.2345, ")
     * @param progress the progress bar's text for this step
     * @param warnings lines to print as {@code warning: ...}
     */
    record Outcome(double loss, double gradNorm, long tokens, double seconds, int skipped, Map<String, Double> metrics,
                   String headline, String progress, List<String> warnings) {}

    Outcome run(int step, double lr);
}
