package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code rm.data} section: preference pairs to train on, the held-out share, the test file. */
public record RmDataPaths(
        @Doc("JSONL or CSV file of prompt/chosen/rejected rows, or chosen/rejected conversations (Anthropic HH)") String train,
        @Doc("share of the pairs held out for validation (by a hash of the prompt, as sft does), 0 < x < 1") double valFraction,
        @Doc("preference file scored at the end of the run (accuracy, margin); empty = none") String test) {

    public RmDataPaths {
        require(train != null && !train.isBlank(), "train", "must name a file");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s", valFraction);
        require(test != null, "test", "must be given (empty for none)");
    }

    public static RmDataPaths defaults() {
        return new RmDataPaths("datasets/grammar/preferences.jsonl", 0.1, "datasets/grammar/preferences-test.jsonl");
    }
}
