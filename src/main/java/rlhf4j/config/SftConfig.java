package rlhf4j.config;

import static rlhf4j.config.Check.require;

/**
 * The {@code sft} section: supervised fine-tuning on conversations with the loss on assistant
 * tokens only. The model shape and tokenizer come from {@code init_from}, not from {@code model.*}.
 */
public record SftConfig(
        @Doc("training, validation and test data") SftDataPaths data,
        @Doc("stage folder to start from; empty = this run's pretrain folder") String initFrom,
        @Doc("conversations per micro-batch") int batchSize,
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
        @Doc("evaluate (masked val loss, greedy generation) every N steps") int evalEvery,
        @Doc("held-out prompts answered greedily at each evaluation (exact match, chrF)") int evalExamples,
        @Doc("longest answer generated in evaluations, in tokens") int maxNewTokens,
        @Doc("write a checkpoint every N steps (and at the end)") int checkpointEvery,
        @Doc("print a progress line every N steps when output is not a terminal (metrics.csv gets every step)") int logEvery,
        @Doc("also apply weight decay to the embeddings") boolean decayEmbeddings,
        @Doc("skip an update whose loss or gradients are not finite instead of failing") boolean skipNonfinite)
        implements TrainingHyperparams {

    public SftConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's pretrain folder)");
        TrainingHyperparams.validate(batchSize, maxSteps, learningRate, minLr, warmupSteps, weightDecay, beta1, beta2,
                eps, gradClip, gradAccumSteps, evalEvery, checkpointEvery, logEvery);
        require(evalExamples >= 0, "eval_examples", "must not be negative, got %d", evalExamples);
        require(maxNewTokens > 0, "max_new_tokens", "must be positive, got %d", maxNewTokens);
    }

    public static SftConfig defaults() {
        return new SftConfig(SftDataPaths.defaults(), "", 16, 300, 1e-3, 1e-4, 20, 0.1, 0.9, 0.95, 1e-8, 1.0, 1,
                100, 64, 48, 100, 10, false, false);
    }
}
