package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code bench} section: the shapes `train bench` times. */
public record BenchConfig(
        @Doc("sequences per timed training step") int batchSize,
        @Doc("timed training steps") int steps,
        @Doc("untimed steps before timing") int warmupSteps,
        @Doc("sequences generated in parallel in the sampling benchmark") int genBatch,
        @Doc("new tokens generated per sequence in the sampling benchmark") int genTokens,
        @Doc("prompt length in tokens for the sampling benchmark") int genPromptTokens) {

    public BenchConfig {
        require(batchSize > 0, "batch_size", "must be positive, got %d", batchSize);
        require(steps > 0, "steps", "must be positive, got %d", steps);
        require(warmupSteps >= 0, "warmup_steps", "must not be negative, got %d", warmupSteps);
        require(genBatch > 0, "gen_batch", "must be positive, got %d", genBatch);
        require(genTokens > 0, "gen_tokens", "must be positive, got %d", genTokens);
        require(genPromptTokens > 0, "gen_prompt_tokens", "must be positive, got %d", genPromptTokens);
    }

    public static BenchConfig defaults() {
        return new BenchConfig(8, 10, 3, 8, 48, 8);
    }
}
