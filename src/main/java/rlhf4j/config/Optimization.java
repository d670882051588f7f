package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The optimizer, schedule and bookkeeping settings every training stage shares (AdamW, warmup and cosine decay,
 * clipping, the non-finite rule, checkpoint and log cadence). One record in the code, {@link Inline} in each stage's
 * section, so their keys read {@code sft.learning_rate} as before.
 */
public record Optimization(
        @Doc("peak learning rate, reached after warmup") double learningRate,
        @Doc("final learning rate of the cosine decay") double minLr,
        @Doc("steps of linear learning-rate warmup (a run shorter than this warms up over all its steps)") int warmupSteps,
        @Doc("AdamW decoupled weight decay (matrices only)") double weightDecay,
        @Doc("AdamW beta1") double beta1,
        @Doc("AdamW beta2") double beta2,
        @Doc("AdamW epsilon") double eps,
        @Doc("clip the global gradient norm (of each trained model) to this value; 0 = off") double gradClip,
        @Doc("write a checkpoint every N steps (and at the end)") int checkpointEvery,
        @Doc("print a progress line every N steps when output is not a terminal (metrics.csv gets every step)") int logEvery,
        @Doc("also apply weight decay to the embeddings") boolean decayEmbeddings,
        @Doc("skip an update whose loss or gradients are not finite instead of failing") boolean skipNonfinite) {

    public Optimization {
        require(learningRate > 0, "learning_rate", "must be positive, got %s", learningRate);
        require(minLr >= 0 && minLr <= learningRate, "min_lr", "must be between 0 and {learning_rate} (%s), got %s",
                learningRate, minLr);
        require(warmupSteps >= 0, "warmup_steps", "must not be negative, got %d", warmupSteps);
        require(weightDecay >= 0, "weight_decay", "must not be negative, got %s", weightDecay);
        require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got %s", beta1);
        require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got %s", beta2);
        require(eps > 0, "eps", "must be positive, got %s", eps);
        require(gradClip >= 0, "grad_clip", "must not be negative (0 = off), got %s", gradClip);
        require(checkpointEvery > 0, "checkpoint_every", "must be positive, got %d", checkpointEvery);
        require(logEvery > 0, "log_every", "must be positive, got %d", logEvery);
    }
}
