package rlhf4j.eval.judge;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.LabelConfig;
import rlhf4j.data.TaskFiles;

/**
 * The judges a config names: the simulated labeler's ({@code label.labeler}) and the gold evaluation's
 * ({@code eval.judges}, the labeler's own measure first), their lexicons in {@code eval.lexicons}, with the known
 * words of {@code label.known_words} for the sentiment judge.
 */
public final class GoldJudges {
    private GoldJudges() {}

    /** The gold evaluation's judges, in {@code eval.judges} order (chrf when empty). */
    public static List<Judge> of(ExperimentConfig config, PrintStream out) {
        return config.eval().goldJudges().stream().map(name -> create(name, config, out)).toList();
    }

    /** One judge by name, reading the known words of {@code label.known_words} when it needs them. */
    public static Judge create(String name, ExperimentConfig config, PrintStream out) {
        LabelConfig label = config.label();
        Set<String> known = name.equals("sentiment") && !label.knownWords().isEmpty()
                ? Judges.knownWords(TaskFiles.ensure(Path.of(label.knownWords()), out)) : Set.of();
        return Judges.create(name, Path.of(config.eval().lexicons()), known, out);
    }
}
