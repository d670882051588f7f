package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The optimisation and cadence keys every training stage section shares (batch, steps, AdamW,
 * schedule, clipping, accumulation, eval and checkpoint cadence), so the training loop and the
 * optimizer are configured the same way for every stage.
 */
public interface TrainingHyperparams {
    int batchSize();

    int maxSteps();

    double learningRate();

    double minLr();

    int warmupSteps();

    double weightDecay();

    double beta1();

    double beta2();

    double eps();

    double gradClip();

    int gradAccumSteps();

    int evalEvery();

    int checkpointEvery();

    int logEvery();

    boolean decayEmbeddings();

    boolean skipNonfinite();

    /** The shared validation, called from each stage record's constructor (keys relative to its section). */
    static void validate(int batchSize, int maxSteps, double learningRate, double minLr, int warmupSteps,
                         double weightDecay, double beta1, double beta2, double eps, double gradClip,
                         int gradAccumSteps, int evalEvery, int checkpointEvery, int logEvery) {
        require(batchSize > 0, "batch_size", "must be positive, got %d", batchSize);
        require(maxSteps > 0, "max_steps", "must be positive, got %d", maxSteps);
        require(learningRate > 0, "learning_rate", "must be positive, got %s", learningRate);
        require(minLr >= 0 && minLr <= learningRate, "min_lr", "must be between 0 and {learning_rate} (%s), got %s",
                learningRate, minLr);
        require(warmupSteps >= 0, "warmup_steps", "must not be negative, got %d", warmupSteps);
        require(weightDecay >= 0, "weight_decay", "must not be negative, got %s", weightDecay);
        require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got %s", beta1);
        require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got %s", beta2);
        require(eps > 0, "eps", "must be positive, got %s", eps);
        require(gradClip >= 0, "grad_clip", "must not be negative (0 = off), got %s", gradClip);
        require(gradAccumSteps > 0, "grad_accum_steps", "must be positive, got %d", gradAccumSteps);
        require(evalEvery > 0, "eval_every", "must be positive, got %d", evalEvery);
        require(checkpointEvery > 0, "checkpoint_every", "must be positive, got %d", checkpointEvery);
        require(logEvery > 0, "log_every", "must be positive, got %d", logEvery);
    }
}
