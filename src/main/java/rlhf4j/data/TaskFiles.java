package rlhf4j.data;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The stages' default task data files: a missing file under {@code datasets/grammar/} is built on first use by
 * {@link GrammarDataset#ensure}, one under {@code datasets/continuation/} by {@link ContinuationDataset#ensure}
 * (paths compared after normalisation against the working directory); any other path must exist (its reader
 * reports it otherwise).
 */
public final class TaskFiles {
    private TaskFiles() {
    }

    /** {@code file}, after building the default data set it belongs to when it is missing. */
    public static Path ensure(Path file, PrintStream out) {
        return ensure(file, DefaultCorpus.DEFAULT_ROOT, out);
    }

    /** See {@link #ensure(Path, PrintStream)}, with the data sets under {@code datasetsRoot}. */
    static Path ensure(Path file, Path datasetsRoot, PrintStream out) {
        if (!Files.exists(file)) {
            Path wanted = DefaultCorpus.absolute(file);
            if (wanted.startsWith(DefaultCorpus.absolute(datasetsRoot.resolve(GrammarDataset.DIR)))) {
                GrammarDataset.ensure(datasetsRoot, out);
            } else if (wanted.startsWith(DefaultCorpus.absolute(datasetsRoot.resolve(ContinuationDataset.DIR)))) {
                ContinuationDataset.ensure(datasetsRoot, out);
            }
        }
        return file;
    }
}
