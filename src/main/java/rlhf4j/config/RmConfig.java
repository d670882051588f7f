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
        @Doc("rankings per micro-batch (a preference pair is a ranking of two; every response is one sequence)") int batchSize,
        @Doc("optimizer steps to train") int maxSteps,
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("micro-batches accumulated per optimizer step") int gradAccumSteps,
        @Doc("evaluate (validation accuracy, margin, loss) every N steps") int evalEvery,
        @Doc("validation rankings scored at each evaluation (and as many training rankings); 0 = all; the final summary scores all") int evalPairs,
        @Doc("training rankings scored after the last step to fit the reward normalisation (and report training accuracy); 0 = all") int normPairs)
        implements TrainingHyperparams {

    public RmConfig {
        require(data != null, "data", "must be given");
        require(initFrom != null, "init_from", "must be given (empty for the run's sft folder)");
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, gradAccumSteps, evalEvery);
        require(evalPairs >= 0, "eval_pairs", "must not be negative (0 = all), got %d", evalPairs);
        require(normPairs >= 0, "norm_pairs", "must not be negative (0 = all), got %d", normPairs);
    }

    public static RmConfig defaults() {
        return new RmConfig(RmDataPaths.defaults(), "", 16, 200, new Optimization(1e-3, 1e-4, 10, 0.0, 0.9, 0.95, 1e-8,
                1.0, 100, 10, false, false), 1, 100, 256, 0);
    }
}
