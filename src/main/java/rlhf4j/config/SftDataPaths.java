package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/** The {@code sft.data} section: conversations to fine-tune on, the held-out share, the test file. */
public record SftDataPaths(
        @Doc("JSONL or CSV file of prompt/completion or messages rows") String train,
        @Doc("share of the rows held out for validation (by a hash of the prompt), 0 < x < 1") double valFraction,
        @Doc("file scored at the end of the run (exact match, chrF); empty = none") String test,
        @Doc("more training files, never held out for validation (a copy curriculum such as "
                + "datasets/grammar/copy.jsonl); empty = none") List<String> trainExtra,
        @Doc("rows that cannot train (an empty answer, a prompt that fills block_size) stop the run with an error "
                + "naming FILE:LINE, instead of being skipped with a warning") boolean strict) {

    public SftDataPaths {
        require(train != null && !train.isBlank(), "train", "must name a file");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s", valFraction);
        require(test != null, "test", "must be given (empty for none)");
        require(trainExtra != null && trainExtra.stream().noneMatch(f -> f == null || f.isBlank()), "train_extra",
                "must be a list of file names");
        trainExtra = List.copyOf(trainExtra);
    }

    public static SftDataPaths defaults() {
        return new SftDataPaths("datasets/grammar/sft.jsonl", 0.05, "datasets/grammar/test.jsonl", List.of(), false);
    }
}
