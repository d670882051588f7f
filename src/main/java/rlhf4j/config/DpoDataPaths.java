package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/**
 * The {@code dpo.data} section: the rankings to learn from (this run's label stage and any ranking or preference
 * pair files, as {@code rm.data} reads them), the held-out share, and the test prompts the trained policy answers.
 */
public record DpoDataPaths(
        @Doc("JSONL or CSV files of rankings (prompt, responses, ranking or scores) or preference pairs "
                + "(prompt/chosen/rejected, or chosen/rejected conversations as in Anthropic HH), in any mix; "
                + "empty = none") List<String> train,
        @Doc("also learn from this run's label stage rankings (<out_dir>/<run>/label/rankings.jsonl); the label "
                + "stage must have finished") boolean fromLabel,
        @Doc("with from_label: use the rankings of a label stage that has not finished instead of refusing")
        boolean allowPartialLabel,
        @Doc("share of the prompts held out for validation (by a hash of the prompt, as rm does), 0 < x < 1")
        double valFraction,
        @Doc("prompts (with reference completions where there are) answered by SFT and the DPO policy at the end "
                + "and judged by eval.judges; empty = none") String test,
        @Doc("rows that cannot train (identical chosen and rejected, an empty response, a ranking without a pair) "
                + "stop the run with an error naming FILE:LINE, instead of being skipped with a warning") boolean strict) {

    public DpoDataPaths {
        require(train != null && train.stream().noneMatch(f -> f == null || f.isBlank()), "train",
                "must be a list of file names");
        require(fromLabel || !train.isEmpty(), "train", "names no file and from_label is false: nothing to learn from");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s",
                valFraction);
        require(test != null, "test", "must be given (empty for none)");
        train = List.copyOf(train);
    }

    public static DpoDataPaths defaults() {
        return new DpoDataPaths(List.of(), true, false, 0.1, "datasets/grammar/test.jsonl", false);
    }
}
