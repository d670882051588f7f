package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code rm} section: a reward model trained with the pairwise ranking loss
 * {@code −log σ(r_chosen − r_rejected − margin)}. The model shape and tokenizer come from
 * {@code init_from} (default: the run's sft folder), not from {@code model.*}.
 */
public record RmConfig(
        @Doc("training, validation and test preference pairs") RmDataPaths data,
        @Doc("stage folder to start from; empty = this run's sft folder") String initFrom,
        @Doc("preference pairs per micro-batch (each pair is two sequences)") int batchSize,
        @Doc("optimizer steps to train") int maxSteps,
        @Doc("peak learning rate, reached after warmup") double learningRate,
        @Doc("final learning rate of the cosine decay") double minLr,
        @Doc("steps of linear learning-rate warmup (a run shorter than this warms up over all its steps)") int warmupSteps,
        @Doc("AdamW decoupled weight decay (matrices only)") double weightDecay,
        @Doc("AdamW beta1") double beta1,
        @Doc("AdamW beta2") double beta2,
        @Doc("AdamW epsilon") double eps,
        @Doc("clip the global gradient norm to this value; 0 = off") double gradClip,
        @Doc("micro-batches accumulated per optimizer step") int gradAccumSteps,
        @Doc("evaluate (validation accuracy, margin, loss) every N steps") int evalEvery,
        @Doc("validation pairs scored at each evaluation (and as many training pairs); 0 = all; the final summary scores all") int evalPairs,
        @Doc("training pairs scored after the last step to fit the reward normalisation (and report training accuracy); 0 = all") int normPairs,
        @Doc("write a checkpoint every N steps (and at the end)") int checkpointEvery,
        @Doc("print a progress line every N steps when output is not a terminal (metrics.csv gets every step)") int logEvery,
        @Doc("also apply weight decay to the embeddings") boolean decayEmbeddings,
        @Doc("skip an update whose loss or gradients are not finite instead of failing") boolean skipNonfinite)
        implements TrainingHyperparams {

    public RmConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        TrainingHyperparams.validate(batchSize, maxSteps, learningRate, minLr, warmupSteps, weightDecay, beta1, beta2,
                eps, gradClip, gradAccumSteps, evalEvery, checkpointEvery, logEvery);
        require(evalPairs >= 0, "eval_pairs", "must not be negative (0 = all), got %d", evalPairs);
        require(normPairs >= 0, "norm_pairs", "must not be negative (0 = all), got %d", normPairs);
    }

    public static RmConfig defaults() {
        return new RmConfig(RmDataPaths.defaults(), "", 16, 200, 1e-3, 1e-4, 10, 0.0, 0.9, 0.95, 1e-8, 1.0, 1,
                100, 256, 0, 100, 10, false, false);
    }
}
