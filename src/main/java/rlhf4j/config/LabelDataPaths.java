package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code label.data} section: the prompts whose answers are ranked. */
public record LabelDataPaths(
        @Doc("JSONL or CSV file of prompts (column prompt; completion is the reference the reference labeler "
                + "scores against)") String prompts) {

    public LabelDataPaths {
        require(prompts != null && !prompts.isBlank(), "prompts", "must name a file");
    }

    public static LabelDataPaths defaults() {
        return new LabelDataPaths("datasets/grammar/prompts.jsonl");
    }
}
