package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/** The {@code pretrain} section: self-supervised next-token training. */
public record PretrainConfig(
        @Doc("training data") PretrainData data,
        @Doc("sequences per micro-batch") int batchSize,
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
        @Doc("evaluate validation loss and write samples every N steps") int evalEvery,
        @Doc("validation batches per evaluation") int evalBatches,
        @Doc("write a checkpoint every N steps (and at the end)") int checkpointEvery,
        @Doc("print a progress line every N steps when output is not a terminal (metrics.csv gets every step)") int logEvery,
        @Doc("prompts sampled at each evaluation") List<String> samplePrompts,
        @Doc("tokens generated per sample prompt; 0 = no samples") int sampleTokens,
        @Doc("sampling temperature for the samples; 0 = greedy") double sampleTemperature,
        @Doc("also apply weight decay to the embeddings") boolean decayEmbeddings,
        @Doc("skip an update whose loss or gradients are not finite instead of failing") boolean skipNonfinite) implements TrainingHyperparams {

    public PretrainConfig {
        require(data != null, "data", "must be given");
        samplePrompts = List.copyOf(samplePrompts);
        TrainingHyperparams.validate(batchSize, maxSteps, learningRate, minLr, warmupSteps, weightDecay, beta1, beta2,
                eps, gradClip, gradAccumSteps, evalEvery, checkpointEvery, logEvery);
        require(evalBatches > 0 && evalBatches <= 100_000, "eval_batches", "must be from 1 to 100000, got %d",
                evalBatches);
        require(sampleTokens >= 0, "sample_tokens", "must not be negative, got %d", sampleTokens);
        require(sampleTemperature >= 0, "sample_temperature", "must not be negative, got %s", sampleTemperature);
    }

    public static PretrainConfig defaults() {
        return new PretrainConfig(PretrainData.defaults(), 16, 1000, 3e-3, 3e-4, 50, 0.1, 0.9, 0.95, 1e-8, 1.0, 1,
                100, 8, 200, 10, List.of("The Congress", "Our nation"), 48, 0.8, false, false);
    }
}
