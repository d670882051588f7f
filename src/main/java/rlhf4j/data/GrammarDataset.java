package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.AtomicFiles;
import rlhf4j.io.DataException;

/**
 * The grammar-correction task data for SFT, reward modelling and PPO, built from the LanguageTool pairs and
 * sentences of {@link DefaultCorpus} into {@code <datasets root>/grammar/}: {@code sft.jsonl} and
 * {@code test.jsonl} (prompt, completion, split), {@code preferences.jsonl} and {@code preferences-test.jsonl}
 * (prompt, chosen, rejected, split), {@code prompts.jsonl} and {@code prompts-test.jsonl} (prompt, completion as
 * the reference, split), {@code copy.jsonl} (a copy curriculum: correct training sentences to return as they are),
 * and {@code manifest.json} with the counts, the split rule and the source. Rows come from
 * {@link GrammarRows}; the split is {@link GrammarSplit}'s.
 *
 * <p>Idempotent: when every file and a readable manifest exist, nothing is read or written. Otherwise the manifest
 * is removed, each file is written under a temporary name and renamed, and the manifest is written last, so a set
 * with a manifest is always complete.
 */
public final class GrammarDataset {
    public static final String PROMPT_PREFIX = "Correct this sentence: ";
    public static final String DIR = "grammar";
    public static final String SFT = "sft.jsonl";
    public static final String SFT_TEST = "test.jsonl";
    public static final String PREFERENCES = "preferences.jsonl";
    public static final String PREFERENCES_TEST = "preferences-test.jsonl";
    public static final String PROMPTS = "prompts.jsonl";
    public static final String PROMPTS_TEST = "prompts-test.jsonl";
    public static final String COPY = "copy.jsonl";
    public static final String MANIFEST = "manifest.json";
    static final String LICENCE = "LGPL-2.1";
    static final String UNCHANGED_KEY = "unchanged_examples";

    /** Row counts of one kind of row: train and val from the main file, test from the -test file. */
    public record SplitCounts(int train, int val, int test) {
        public int total() {
            return train + val + test;
        }
    }

    /** Row counts per kind; {@code unchanged} counts the SFT rows that keep their sentence (within {@code sft}). */
    public record Counts(SplitCounts sft, SplitCounts preferences, SplitCounts prompts, SplitCounts unchanged) {
    }

    /** The files of the data set, their row counts, and whether this call wrote them. */
    public record Result(Path dir, Path sft, Path sftTest, Path preferences, Path preferencesTest, Path prompts,
                         Path promptsTest, Path copy, Path manifest, Counts counts, boolean built) {
        static Result in(Path dir, Counts counts, boolean built) {
            return new Result(dir, dir.resolve(SFT), dir.resolve(SFT_TEST), dir.resolve(PREFERENCES),
                    dir.resolve(PREFERENCES_TEST), dir.resolve(PROMPTS), dir.resolve(PROMPTS_TEST), dir.resolve(COPY),
                    dir.resolve(MANIFEST), counts, built);
        }

        /** The data files, manifest excluded. */
        public List<Path> dataFiles() {
            return List.of(sft, sftTest, preferences, preferencesTest, prompts, promptsTest, copy);
        }
    }

    private GrammarDataset() {
    }

    /**
     * The grammar data set under {@code datasetsRoot/grammar}, built if incomplete (fetching the LanguageTool
     * examples through Maven when they are missing). Prints one line with the counts when it builds.
     *
     * @throws DataException  when the LanguageTool files are malformed or hold no usable pair
     * @throws FetchException when the LanguageTool examples cannot be fetched
     */
    public static Result ensure(Path datasetsRoot, PrintStream progress) {
        return ensure(new DefaultCorpus(datasetsRoot, Clients.system(), progress), progress);
    }

    /** See {@link #ensure(Path, PrintStream)}; the LanguageTool files come from {@code corpus}. */
    static Result ensure(DefaultCorpus corpus, PrintStream progress) {
        Path dir = corpus.root().resolve(DIR);
        Optional<Counts> existing = existing(dir);
        if (existing.isPresent()) {
            return Result.in(dir, existing.get(), false);
        }
        corpus.ensureLanguageTool();
        List<LanguageToolExamples.Pair> pairs = readPairs(corpus.pairsFile());
        List<String> correct = readSentences(corpus.sentencesFile());
        GrammarRows rows = GrammarRows.build(pairs, correct);
        if (rows.preferences().isEmpty() && rows.preferencesTest().isEmpty()) {
            throw new DataException(corpus.pairsFile(), "no usable (wrong, corrected) pair");
        }
        Counts counts = counts(rows);
        Result result = Result.in(dir, counts, true);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(result.manifest());
            AtomicFiles.writeJsonLines(result.sft(), rows.sft());
            AtomicFiles.writeJsonLines(result.sftTest(), rows.sftTest());
            AtomicFiles.writeJsonLines(result.preferences(), rows.preferences());
            AtomicFiles.writeJsonLines(result.preferencesTest(), rows.preferencesTest());
            AtomicFiles.writeJsonLines(result.prompts(), rows.prompts());
            AtomicFiles.writeJsonLines(result.promptsTest(), rows.promptsTest());
            AtomicFiles.writeJsonLines(result.copy(), rows.copy());
            AtomicFile.writeString(result.manifest(), GrammarManifest.toJson(counts, rows.copy().size(), pairs.size(),
                    correct.size()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the grammar data set to " + dir + ": " + e.getMessage(), e);
        }
        progress.println(summary(result));
        return result;
    }

    /** The split, {@code "train"}, {@code "val"} or {@code "test"}, of a source sentence: see {@link GrammarSplit}. */
    public static String split(String sourceSentence) {
        return GrammarSplit.of(sourceSentence);
    }

    /** The counts of a complete data set in {@code dir}, or empty when a file or a readable manifest is missing. */
    static Optional<Counts> existing(Path dir) {
        Result expected = Result.in(dir, null, false);
        boolean complete = Files.isRegularFile(expected.manifest())
                && expected.dataFiles().stream().allMatch(Files::isRegularFile);
        if (!complete) {
            return Optional.empty();
        }
        return GrammarManifest.readCounts(expected.manifest());
    }

    static Counts counts(GrammarRows rows) {
        List<GrammarRows.SftRow> allSft = new ArrayList<>(rows.sft());
        allSft.addAll(rows.sftTest());
        return new Counts(
                count(rows.sft(), rows.sftTest(), GrammarRows.SftRow::split),
                count(rows.preferences(), rows.preferencesTest(), GrammarRows.PreferenceRow::split),
                count(rows.prompts(), rows.promptsTest(), GrammarRows.SftRow::split),
                count(allSft.stream().filter(GrammarRows::isUnchanged).toList(), List.of(),
                        GrammarRows.SftRow::split));
    }

    private static <T> SplitCounts count(List<T> main, List<T> test, Function<T, String> split) {
        List<String> splits = Stream.concat(main.stream(), test.stream()).map(split).toList();
        return new SplitCounts(frequency(splits, GrammarSplit.TRAIN), frequency(splits, GrammarSplit.VAL),
                frequency(splits, GrammarSplit.TEST));
    }

    private static int frequency(List<String> splits, String split) {
        return (int) splits.stream().filter(split::equals).count();
    }

    /** One line: where the set went and how many rows each file holds. */
    static String summary(Result r) {
        Counts c = r.counts();
        return "built grammar data set in " + r.dir() + ": "
                + SFT + " " + trainVal(c.sft()) + ", " + SFT_TEST + " " + c.sft().test() + ", "
                + PREFERENCES + " " + trainVal(c.preferences()) + ", " + PREFERENCES_TEST + " "
                + c.preferences().test() + ", "
                + PROMPTS + " " + trainVal(c.prompts()) + ", " + PROMPTS_TEST + " " + c.prompts().test()
                + "; unchanged examples " + c.unchanged().total() + " of " + c.sft().total() + " SFT rows";
    }

    private static String trainVal(SplitCounts c) {
        return (c.train() + c.val()) + " (train " + c.train() + ", val " + c.val() + ")";
    }

    /** The pairs of a {@code pairs.jsonl} (wrong, corrected, optional rule), skipping blank lines. */
    static List<LanguageToolExamples.Pair> readPairs(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = readLines(file);
        List<LanguageToolExamples.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (JsonProcessingException e) {
                throw new DataException(file, i + 1, "invalid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new DataException(file, i + 1, "expected a JSON object");
            }
            JsonNode rule = node.get("rule");
            pairs.add(new LanguageToolExamples.Pair(text(node, "wrong", file, i + 1),
                    text(node, "corrected", file, i + 1), rule != null && rule.isTextual() ? rule.asText() : ""));
        }
        return pairs;
    }

    /** The non-blank lines of a {@code sentences.txt}, stripped. */
    static List<String> readSentences(Path file) {
        return readLines(file).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String text(JsonNode node, String field, Path file, int line) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new DataException(file, line, "missing string field \"" + field + "\"");
        }
        return value.asText();
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new DataException(file, "invalid UTF-8");
        } catch (IOException e) {
            throw new DataException(file, "cannot read: " + e.getMessage());
        }
    }
}
