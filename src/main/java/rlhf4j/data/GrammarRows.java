package rlhf4j.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rows of the grammar data set, built by a pure function from LanguageTool's (wrong, corrected) pairs and its
 * correct example sentences; {@link GrammarDataset} writes them to files.
 *
 * <p>Each wrong sentence is used once (its first pair in input order wins; pairs with a blank side or two equal
 * sides are skipped). Unchanged examples — correct sentences that must come back as they are — make up about
 * {@value #UNCHANGED_PERCENT}% of the SFT rows, at most {@code maxUnchanged}; they are the correct sentences with
 * the lowest salted SHA-256 ({@code "unchanged:" + sentence}), skipping any sentence that is a side of some pair,
 * so no sentence is both a prompt to fix and one to keep. Every row goes to the split of its source sentence
 * ({@link GrammarSplit}); within a file rows are ordered by bucket, then by hash: a fixed shuffle with train rows
 * before val rows.
 *
 * @param sft             SFT rows of train and val: unchanged examples included
 * @param sftTest         SFT rows of test
 * @param preferences     preference rows of train and val: pairs only
 * @param preferencesTest preference rows of test
 * @param prompts         PPO prompts of train and val, completion kept as the reference
 * @param promptsTest     PPO prompts of test
 * @param copy            a copy curriculum for SFT: every other correct sentence of the train split (none a side
 *                        of a pair, none an unchanged example) as a prompt whose answer is the sentence itself
 */
public record GrammarRows(List<SftRow> sft, List<SftRow> sftTest, List<PreferenceRow> preferences,
                          List<PreferenceRow> preferencesTest, List<SftRow> prompts, List<SftRow> promptsTest,
                          List<SftRow> copy) {
    public static final int UNCHANGED_PERCENT = 15;
    public static final int DEFAULT_MAX_UNCHANGED = 2000;
    static final String UNCHANGED_SALT = "unchanged:";

    /** A prompt and the wanted completion: a line of sft.jsonl, test.jsonl, prompts.jsonl, prompts-test.jsonl. */
    public record SftRow(String prompt, String completion, String split) {
    }

    /** A prompt with a better (chosen) and a worse (rejected) answer: a line of preferences*.jsonl. */
    public record PreferenceRow(String prompt, String chosen, String rejected, String split) {
    }

    /** A source sentence, what it should become, and where the split and the order put it. */
    private record Example(String source, String target, int bucket, long hash) {
        static Example of(String source, String target) {
            return new Example(source, target, GrammarSplit.bucket(source), GrammarSplit.hash64(source));
        }

        boolean unchanged() {
            return source.equals(target);
        }

        String split() {
            return GrammarSplit.ofBucket(bucket);
        }

        String prompt() {
            return GrammarDataset.PROMPT_PREFIX + source;
        }
    }

    private static final Comparator<Example> FILE_ORDER = Comparator.comparingInt(Example::bucket)
            .thenComparing(Example::hash, Long::compareUnsigned)
            .thenComparing(Example::source);

    public GrammarRows {
        sft = List.copyOf(sft);
        sftTest = List.copyOf(sftTest);
        preferences = List.copyOf(preferences);
        preferencesTest = List.copyOf(preferencesTest);
        prompts = List.copyOf(prompts);
        promptsTest = List.copyOf(promptsTest);
        copy = List.copyOf(copy);
    }

    /** {@link #build(List, List, int)} with at most {@value #DEFAULT_MAX_UNCHANGED} unchanged examples. */
    public static GrammarRows build(List<LanguageToolExamples.Pair> pairs, List<String> correct) {
        return build(pairs, correct, DEFAULT_MAX_UNCHANGED);
    }

    /** The rows for {@code pairs} and {@code correct} sentences; same input, same rows, in the same order. */
    public static GrammarRows build(List<LanguageToolExamples.Pair> pairs, List<String> correct, int maxUnchanged) {
        if (maxUnchanged < 0) {
            throw new IllegalArgumentException("maxUnchanged must be >= 0, got " + maxUnchanged);
        }
        Map<String, String> fixes = firstFixPerSentence(pairs);
        List<Example> fixed = new ArrayList<>();
        fixes.forEach((wrong, corrected) -> fixed.add(Example.of(wrong, corrected)));
        fixed.sort(FILE_ORDER);
        List<Example> all = new ArrayList<>(fixed);
        List<Example> unchanged = unchanged(fixes, correct, unchangedCount(fixes.size(), maxUnchanged));
        all.addAll(unchanged);
        all.sort(FILE_ORDER);

        List<SftRow> sft = new ArrayList<>();
        List<SftRow> sftTest = new ArrayList<>();
        for (Example e : all) {
            SftRow row = new SftRow(e.prompt(), e.target(), e.split());
            (row.split().equals(GrammarSplit.TEST) ? sftTest : sft).add(row);
        }
        List<PreferenceRow> preferences = new ArrayList<>();
        List<PreferenceRow> preferencesTest = new ArrayList<>();
        List<SftRow> prompts = new ArrayList<>();
        List<SftRow> promptsTest = new ArrayList<>();
        for (Example e : fixed) {
            boolean test = e.split().equals(GrammarSplit.TEST);
            (test ? preferencesTest : preferences).add(new PreferenceRow(e.prompt(), e.target(), e.source(),
                    e.split()));
            (test ? promptsTest : prompts).add(new SftRow(e.prompt(), e.target(), e.split()));
        }
        Set<String> kept = new HashSet<>();
        unchanged.forEach(e -> kept.add(e.source()));
        List<SftRow> copy = candidates(fixes, correct).stream().filter(c -> !kept.contains(c))
                .map(c -> Example.of(c, c)).filter(e -> e.split().equals(GrammarSplit.TRAIN)).sorted(FILE_ORDER)
                .map(e -> new SftRow(e.prompt(), e.target(), e.split())).toList();
        return new GrammarRows(sft, sftTest, preferences, preferencesTest, prompts, promptsTest, copy);
    }

    /** How many unchanged examples make them {@value #UNCHANGED_PERCENT}% of all SFT rows, capped. */
    static int unchangedCount(int fixedRows, int maxUnchanged) {
        long share = Math.round(fixedRows * (double) UNCHANGED_PERCENT / (100 - UNCHANGED_PERCENT));
        return (int) Math.min(maxUnchanged, share);
    }

    /** Whether an SFT row asks to keep its sentence as it is. */
    public static boolean isUnchanged(SftRow row) {
        return row.prompt().equals(GrammarDataset.PROMPT_PREFIX + row.completion());
    }

    /** Each usable wrong sentence with the correction of its first pair, in input order. */
    private static Map<String, String> firstFixPerSentence(List<LanguageToolExamples.Pair> pairs) {
        Map<String, String> fixes = new LinkedHashMap<>();
        for (LanguageToolExamples.Pair p : pairs) {
            String wrong = p.wrong();
            String corrected = p.corrected();
            if (wrong != null && corrected != null && !wrong.isBlank() && !corrected.isBlank()
                    && !wrong.equals(corrected)) {
                fixes.putIfAbsent(wrong, corrected);
            }
        }
        return fixes;
    }

    /** The distinct correct sentences that are no side of any pair, in input order. */
    private static Set<String> candidates(Map<String, String> fixes, List<String> correct) {
        Set<String> taken = new HashSet<>(fixes.keySet());
        taken.addAll(fixes.values());
        Set<String> candidates = new LinkedHashSet<>();
        for (String s : correct) {
            if (s != null && !s.isBlank() && !taken.contains(s)) {
                candidates.add(s);
            }
        }
        return candidates;
    }

    /** Up to {@code count} correct sentences, none a side of a pair, chosen by the salted hash. */
    private static List<Example> unchanged(Map<String, String> fixes, List<String> correct, int count) {
        record Ranked(String sentence, long rank) {
        }
        return candidates(fixes, correct).stream()
                .map(s -> new Ranked(s, GrammarSplit.hash64(UNCHANGED_SALT + s)))
                .sorted(Comparator.comparing(Ranked::rank, Long::compareUnsigned).thenComparing(Ranked::sentence))
                .limit(count)
                .map(r -> Example.of(r.sentence(), r.sentence()))
                .toList();
    }
}
