package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * What the training loop and the optimizer read from every training stage's section: its batch, steps, accumulation
 * and evaluation cadence (each stage documents them in its own words) and the shared {@link Optimization} settings,
 * so every stage is configured and trained the same way.
 */
public interface TrainingHyperparams {
    int batchSize();

    int maxSteps();

    int gradAccumSteps();

    int evalEvery();

    /** The optimizer, schedule and cadence settings, keys of the stage's own section. */
    Optimization optimization();

    default double learningRate() {
        return optimization().learningRate();
    }

    default double minLr() {
        return optimization().minLr();
    }

    default int warmupSteps() {
        return optimization().warmupSteps();
    }

    default double weightDecay() {
        return optimization().weightDecay();
    }

    default double beta1() {
        return optimization().beta1();
    }

    default double beta2() {
        return optimization().beta2();
    }

    default double eps() {
        return optimization().eps();
    }

    default double gradClip() {
        return optimization().gradClip();
    }

    default int checkpointEvery() {
        return optimization().checkpointEvery();
    }

    default int logEvery() {
        return optimization().logEvery();
    }

    default boolean decayEmbeddings() {
        return optimization().decayEmbeddings();
    }

    default boolean skipNonfinite() {
        return optimization().skipNonfinite();
    }

    /** The shared validation of the stage's own keys, called from each stage record's constructor. */
    static void validate(Optimization optimization, int batchSize, int maxSteps, int gradAccumSteps, int evalEvery) {
        require(optimization != null, "learning_rate", "the optimizer settings must be given");
        require(batchSize > 0, "batch_size", "must be positive, got %d", batchSize);
        require(maxSteps > 0, "max_steps", "must be positive, got %d", maxSteps);
        require(gradAccumSteps > 0, "grad_accum_steps", "must be positive, got %d", gradAccumSteps);
        require(evalEvery > 0, "eval_every", "must be positive, got %d", evalEvery);
    }
}
