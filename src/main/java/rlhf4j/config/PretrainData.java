package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.List;

/** The {@code pretrain.data} section: raw-text training files and the held-out share. */
public record PretrainData(
        @Doc("text files or folders of .txt files to pretrain on") List<String> train,
        @Doc("share of the text held out for validation, 0 < x < 1") double valFraction) {

    public PretrainData {
        train = List.copyOf(train);
        require(!train.isEmpty(), "train", "must name at least one file or folder");
        require(train.stream().noneMatch(String::isBlank), "train", "contains an empty path");
        require(valFraction > 0 && valFraction < 1, "val_fraction", "must be between 0 and 1 (exclusive), got %s", valFraction);
    }

    public static PretrainData defaults() {
        return new PretrainData(List.of("datasets/sotu", "datasets/languagetool/pretrain.txt"), 0.02);
    }
}
