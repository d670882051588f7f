package rlhf4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pre-tokenization: splits text into the pieces BPE works on, each match of a regex a piece and any text between
 * matches a piece too (Hugging Face's {@code Split} with behavior {@code Isolated}). GPT-2's regex is the one
 * trained tokenizers use ({@link #GPT2}: words with their leading space, number runs, punctuation runs,
 * whitespace runs); a loaded Llama-3 or Qwen2 tokenizer brings its own, translated by {@link HfRegex}. In both,
 * {@code \s} means Unicode White_Space as in Hugging Face tokenizers. The pieces always cover the whole text.
 */
final class PreTokenizer {
    static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** GPT-2's ByteLevel pre-tokenizer (its regex built in, not read from a file). */
    static final PreTokenizer GPT2 = new PreTokenizer(GPT2_PATTERN, null);

    /** Receives each piece as the range [start, end) of the text. */
    interface PieceSink {
        void piece(String text, int start, int end);
    }

    private final Pattern pattern;
    private final String hfRegex;

    private PreTokenizer(Pattern pattern, String hfRegex) {
        this.pattern = pattern;
        this.hfRegex = hfRegex;
    }

    /**
     * A {@code Split} pre-tokenizer on a Hugging Face (Oniguruma) regex.
     *
     * @throws IllegalArgumentException when the regex uses a construct that is not translated exactly
     */
    static PreTokenizer fromRegex(String hfRegex) {
        return new PreTokenizer(HfRegex.compile(hfRegex), hfRegex);
    }

    /** The regex as the tokenizer file gave it; null for GPT-2's built-in one. */
    String hfRegex() {
        return hfRegex;
    }

    /** Calls the sink for each piece of the text, in order. */
    void pieces(String text, PieceSink sink) {
        Matcher m = pattern.matcher(text);
        int pos = 0;
        while (m.find()) {
            if (m.start() == m.end()) {
                continue; // Hugging Face drops empty pieces
            }
            if (m.start() > pos) {
                sink.piece(text, pos, m.start()); // text no alternative matched is a piece of its own
            }
            sink.piece(text, m.start(), m.end());
            pos = m.end();
        }
        if (pos < text.length()) {
            sink.piece(text, pos, text.length());
        }
    }

    /** The pieces as strings (for tests and small inputs). */
    List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        pieces(text, (t, s, e) -> pieces.add(t.substring(s, e)));
        return pieces;
    }

    /** GPT-2's pieces of the text, for the sink. */
    static void split(String text, PieceSink sink) {
        GPT2.pieces(text, sink);
    }

    /** GPT-2's pieces as strings (for tests and small inputs). */
    static List<String> split(String text) {
        return GPT2.pieces(text);
    }
}
