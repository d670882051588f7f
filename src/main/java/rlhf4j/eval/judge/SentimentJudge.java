package rlhf4j.eval.judge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A simulated labeler for the positive-continuation task: it prefers answers that are positive (AFINN-165 valence)
 * and penalises what a person would mark down in a continuation: repeated words and word pairs, words it has
 * never seen in the pretraining text, answers too short or too long, and answers that stop mid-sentence.
 * Without the penalties a policy could win by repeating "great" or by inventing words, so they are part of the
 * score, not a separate check. A capitalised word inside a sentence is a name, and a name carries no sentiment:
 * "the United States" is not a positive phrase, though AFINN rates "united" +1 (a PPO policy that was paid for it
 * ended 37% of its answers with it).
 */
public final class SentimentJudge implements Judge {
    public static final String NAME = "sentiment";

    /** A word: letters, optionally one apostrophe with letters after it ("don't", "nation's"). */
    public static final Pattern WORD = Pattern.compile("[A-Za-z]+(?:'[A-Za-z]+)?");

    /**
     * Function words that a natural sentence repeats freely ("the ... the"), so repeating them costs nothing;
     * word pairs made of them still count as repeated bigrams.
     */
    public static final Set<String> FUNCTION_WORDS = Set.of("the", "a", "an", "of", "to", "and", "in", "that", "is",
            "for", "we", "our", "it", "this", "be", "are", "will", "with", "as", "on", "by", "have", "has", "not", "i",
            "you", "they", "their", "at", "from", "or", "which", "all", "was", "were", "but", "must", "can");

    static final int MIN_WORDS = 4;
    static final int MAX_WORDS = 20;
    static final double SHORT_PENALTY = 1.5;
    static final double LONG_PENALTY = 1.0;
    static final double UNKNOWN_PENALTY = 1.0;
    static final double UNFINISHED_PENALTY = 1.0;

    private static final Pattern FINISHED = Pattern.compile("[.!?][\"']?$");

    private final Map<String, Integer> valences;
    private final Set<String> knownWords;

    /**
     * {@code afinn}: word → valence (−5..+5). Entries that are not single words by {@link #WORD} (AFINN's phrases
     * such as "bad luck" and hyphenated entries such as "cover-up") are ignored: answers are scored word by word,
     * so they could never match. {@code knownWords}: the lowercase words of the pretraining text; an empty set turns
     * the unknown-word penalty off.
     */
    public SentimentJudge(Map<String, Integer> afinn, Set<String> knownWords) {
        Map<String, Integer> single = new HashMap<>();
        afinn.forEach((word, value) -> {
            if (WORD.matcher(word).matches()) {
                single.put(word.toLowerCase(Locale.ROOT), value);
            }
        });
        this.valences = Map.copyOf(single);
        this.knownWords = Set.copyOf(knownWords);
    }

    /** Why an answer scored what it did: its valence and each penalty (all penalties ≥ 0). */
    public record Breakdown(double valence, double repetition, double unknownWords, double length, double unfinished) {
        public double penalties() {
            return repetition + unknownWords + length + unfinished;
        }

        public double score() {
            return valence - penalties();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    public double score(String prompt, String answer, String reference) {
        return breakdown(answer).score();
    }

    public Breakdown breakdown(String answer) {
        Objects.requireNonNull(answer, "answer");
        List<String> words = words(answer);
        return new Breakdown(valence(sentimentWords(answer)), repetition(words), unknownWords(words), length(words.size()),
                finished(answer) ? 0 : UNFINISHED_PENALTY);
    }

    /** The answer's words, lowercased, in order. */
    public static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            words.add(m.group().toLowerCase(Locale.ROOT));
        }
        return words;
    }

    /**
     * The words that can carry sentiment, lowercased: all but names, i.e. capitalised words that neither open the
     * answer nor follow a '.', '!' or '?'.
     */
    static List<String> sentimentWords(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        int end = 0;
        boolean first = true;
        while (m.find()) {
            String between = text.substring(end, m.start());
            boolean opensSentence = first || between.matches("(?s).*[.!?][\\s\"']*");
            if (opensSentence || !Character.isUpperCase(m.group().charAt(0))) {
                words.add(m.group().toLowerCase(Locale.ROOT));
            }
            first = false;
            end = m.end();
        }
        return words;
    }

    /** Each distinct word counts once, so saying "great" twice earns no more than saying it once. */
    private double valence(List<String> words) {
        int sum = 0;
        for (String word : new LinkedHashSet<>(words)) {
            sum += valences.getOrDefault(word, 0);
        }
        return sum;
    }

    /** One point per repeat of a content word, one per repeat of any word pair. */
    private static double repetition(List<String> words) {
        Map<String, Integer> seenWords = new HashMap<>();
        Map<String, Integer> seenPairs = new HashMap<>();
        int penalty = 0;
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (seenWords.merge(word, 1, Integer::sum) > 1 && !FUNCTION_WORDS.contains(word)) {
                penalty++;
            }
            if (i > 0 && seenPairs.merge(words.get(i - 1) + " " + word, 1, Integer::sum) > 1) {
                penalty++;
            }
        }
        return penalty;
    }

    private double unknownWords(List<String> words) {
        if (knownWords.isEmpty()) {
            return 0;
        }
        return UNKNOWN_PENALTY * words.stream().filter(w -> !knownWords.contains(w)).count();
    }

    private static double length(int count) {
        if (count < MIN_WORDS) {
            return SHORT_PENALTY * (MIN_WORDS - count);
        }
        return count > MAX_WORDS ? LONG_PENALTY * (count - MAX_WORDS) : 0;
    }

    /** A finished answer ends a sentence: '.', '!' or '?', perhaps inside a closing quote. */
    private static boolean finished(String answer) {
        return FINISHED.matcher(answer.strip()).find();
    }
}
