package rlhf4j.data;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The stages' default data files: a missing file under {@code datasets/grammar/} is built on first use
 * by {@link GrammarDataset#ensure}; any other path must exist (its reader reports it otherwise).
 */
public final class GrammarFiles {
    private GrammarFiles() {
    }

    public static Path ensure(Path file, PrintStream out) {
        if (!Files.exists(file) && file.normalize().startsWith(DefaultCorpus.DEFAULT_ROOT.resolve(GrammarDataset.DIR))) {
            GrammarDataset.ensure(DefaultCorpus.DEFAULT_ROOT, out);
        }
        return file;
    }
}
