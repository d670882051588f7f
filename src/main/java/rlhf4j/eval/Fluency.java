package rlhf4j.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two text statistics that expose degenerate answers, the usual symptom of a policy exploiting its reward model:
 * the repeated-trigram share (of all word trigrams within the answers, the fraction that repeat an earlier trigram
 * of the same answer: "the freedom of the freedom of" repeats one of four) and distinct-2 (distinct word bigrams
 * over all bigrams of all answers: a policy that says the same thing to every prompt scores near 0). Words are
 * runs of letters and digits with an inner apostrophe, lowercased; punctuation does not count.
 */
public final class Fluency {
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9]+(?:'[A-Za-z]+)?");

    private Fluency() {}

    /** The lowercased words of {@code text}. */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            out.add(m.group().toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** Repeated trigrams over all trigrams of {@code answers}, 0 when no answer has three words. */
    public static double repeatedTrigramShare(List<String> answers) {
        long trigrams = 0;
        long repeated = 0;
        for (String a : answers) {
            List<String> w = words(a);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i + 2 < w.size(); i++) {
                trigrams++;
                if (!seen.add(w.get(i) + ' ' + w.get(i + 1) + ' ' + w.get(i + 2))) {
                    repeated++;
                }
            }
        }
        return trigrams == 0 ? 0 : (double) repeated / trigrams;
    }

    /** Distinct bigrams over all bigrams of {@code answers}, 0 when no answer has two words. */
    public static double distinct2(List<String> answers) {
        long bigrams = 0;
        Set<String> distinct = new HashSet<>();
        for (String a : answers) {
            List<String> w = words(a);
            for (int i = 0; i + 1 < w.size(); i++) {
                bigrams++;
                distinct.add(w.get(i) + ' ' + w.get(i + 1));
            }
        }
        return bigrams == 0 ? 0 : (double) distinct.size() / bigrams;
    }
}
