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
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("micro-batches accumulated per optimizer step") int gradAccumSteps,
        @Doc("evaluate (masked val loss, greedy generation) every N steps") int evalEvery,
        @Doc("held-out prompts answered greedily at each evaluation (exact match, chrF)") int evalExamples,
        @Doc("longest answer generated in evaluations, in tokens") int maxNewTokens)
        implements TrainingHyperparams {

    public SftConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's pretrain folder)");
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, gradAccumSteps, evalEvery);
        require(evalExamples >= 0, "eval_examples", "must not be negative, got %d", evalExamples);
        require(maxNewTokens > 0, "max_new_tokens", "must be positive, got %d", maxNewTokens);
    }

    public static SftConfig defaults() {
        return new SftConfig(SftDataPaths.defaults(), "", 16, 300, new Optimization(1e-3, 1e-4, 20, 0.1, 0.9, 0.95,
                1e-8, 1.0, 100, 10, false, false), 1, 100, 64, 48);
    }
}
