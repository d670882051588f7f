package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/** The {@code pretrain} section: self-supervised next-token training. */
public record PretrainConfig(
        @Doc("training data") PretrainData data,
        @Doc("sequences per micro-batch") int batchSize,
        @Doc("optimizer steps to train") int maxSteps,
        @Doc("optimizer, schedule and cadence: the keys of Optimization, in this section") @Inline Optimization optimization,
        @Doc("micro-batches accumulated per optimizer step") int gradAccumSteps,
        @Doc("evaluate validation loss and write samples every N steps") int evalEvery,
        @Doc("validation batches per evaluation") int evalBatches,
        @Doc("prompts sampled at each evaluation") List<String> samplePrompts,
        @Doc("tokens generated per sample prompt; 0 = no samples") int sampleTokens,
        @Doc("sampling temperature for the samples; 0 = greedy") double sampleTemperature) implements TrainingHyperparams {

    public PretrainConfig {
        require(data != null, "data", "must be given");
        samplePrompts = List.copyOf(samplePrompts);
        TrainingHyperparams.validate(optimization, batchSize, maxSteps, gradAccumSteps, evalEvery);
        require(evalBatches > 0 && evalBatches <= 100_000, "eval_batches", "must be from 1 to 100000, got %d",
                evalBatches);
        require(sampleTokens >= 0, "sample_tokens", "must not be negative, got %d", sampleTokens);
        require(sampleTemperature >= 0, "sample_temperature", "must not be negative, got %s", sampleTemperature);
    }

    public static PretrainConfig defaults() {
        return new PretrainConfig(PretrainData.defaults(), 16, 1000, new Optimization(3e-3, 3e-4, 50, 0.1, 0.9, 0.95,
                1e-8, 1.0, 200, 10, false, false), 1, 100, 8, List.of("The Congress", "Our nation"), 48, 0.8);
    }
}
