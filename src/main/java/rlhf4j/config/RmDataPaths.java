package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/**
 * The {@code rm.data} section: the rankings to train on (this run's label stage and any ranking or preference
 * pair files), the held-out share, the test file.
 */
public record RmDataPaths(
        @Doc("JSONL or CSV files of rankings (prompt, responses, ranking or scores) or preference pairs "
                + "(prompt/chosen/rejected, or chosen/rejected conversations as in Anthropic HH), in any mix; "
                + "empty = none") List<String> train,
        @Doc("also train on this run's label stage rankings (<out_dir>/<run>/label/rankings.jsonl); the label stage "
                + "must have finished") boolean fromLabel,
        @Doc("with from_label: train on the rankings of a label stage that has not finished (some prompts still "
                + "unjudged) instead of refusing") boolean allowPartialLabel,
        @Doc("share of the prompts held out for validation (by a hash of the prompt, as sft does; all the pairs "
                + "of one prompt stay together), 0 < x < 1") double valFraction,
        @Doc("ranking or preference file scored at the end of the run (accuracy, top-1, Kendall τ, margin); "
                + "empty = none") String test,
        @Doc("rows that cannot train (identical chosen and rejected, an empty response, a ranking without a pair) "
                + "stop the run with an error naming FILE:LINE, instead of being skipped with a warning") boolean strict) {

    public RmDataPaths {
        require(train != null && train.stream().noneMatch(f -> f == null || f.isBlank()), "train",
                "must be a list of file names");
        require(fromLabel || !train.isEmpty(), "train", "names no file and from_label is false: nothing to train on");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s", valFraction);
        require(test != null, "test", "must be given (empty for none)");
        train = List.copyOf(train);
    }

    public static RmDataPaths defaults() {
        return new RmDataPaths(List.of(), true, false, 0.1, "datasets/grammar/preferences-test.jsonl", false);
    }
}
