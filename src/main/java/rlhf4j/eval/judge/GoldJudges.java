package rlhf4j.eval.judge;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.LabelConfig;
import rlhf4j.data.DefaultCorpus;

/**
 * The judges a config names: the simulated labeler's ({@code label.labeler}) and the gold evaluation's
 * ({@code eval.judges}, the labeler's own measure first), built from the default datasets root, with the known
 * words of {@code label.known_words} for the sentiment judge.
 */
public final class GoldJudges {
    private GoldJudges() {}

    /** The gold evaluation's judges, in {@code eval.judges} order (chrf when empty). */
    public static List<Judge> of(ExperimentConfig config, PrintStream out) {
        return config.eval().goldJudges().stream().map(name -> create(name, config.label(), out)).toList();
    }

    /** One judge by name, reading the known words of {@code label} when it needs them. */
    public static Judge create(String name, LabelConfig label, PrintStream out) {
        Set<String> known = name.equals("sentiment") && !label.knownWords().isEmpty()
                ? Judges.knownWords(rlhf4j.data.TaskFiles.ensure(Path.of(label.knownWords()), out)) : Set.of();
        return Judges.create(name, DefaultCorpus.DEFAULT_ROOT, known, out);
    }
}
