package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code ppo.data} and {@code grpo.data} sections: the prompts to roll out on, the held-out share, the test prompts. */
public record PromptDataPaths(
        @Doc("JSONL or CSV file of prompts (column prompt; an optional completion is kept as the reference)") String prompts,
        @Doc("share of the prompts held out for evaluation (by a hash of the prompt, as in sft and rm), 0 < x < 1") double valFraction,
        @Doc("prompts (with reference completions where there are) answered by SFT and the trained policy at the end and judged by eval.judges; empty = none") String test) {

    public PromptDataPaths {
        require(prompts != null && !prompts.isBlank(), "prompts", "must name a file");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s", valFraction);
        require(test != null, "test", "must be given (empty for none)");
    }

    public static PromptDataPaths defaults() {
        return new PromptDataPaths("datasets/grammar/prompts.jsonl", 0.05, "datasets/grammar/test.jsonl");
    }
}
