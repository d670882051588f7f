package rlhf4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 pre-tokenization: splits text into the pieces BPE works on (words with their leading space,
 * number runs, punctuation runs, whitespace runs) with GPT-2's regex, {@code \s} meaning Unicode
 * White_Space as in Hugging Face tokenizers. The pieces always cover the whole text.
 */
final class PreTokenizer {
    static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Receives each piece as the range [start, end) of the text. */
    interface PieceSink {
        void piece(String text, int start, int end);
    }

    private PreTokenizer() {
    }

    /** Calls the sink for each piece of the text, in order. */
    static void split(String text, PieceSink sink) {
        Matcher m = GPT2_PATTERN.matcher(text);
        int pos = 0;
        while (m.find()) {
            if (m.start() > pos) {
                sink.piece(text, pos, m.start()); // never expected: the pattern matches every character
            }
            sink.piece(text, m.start(), m.end());
            pos = m.end();
        }
        if (pos < text.length()) {
            sink.piece(text, pos, text.length());
        }
    }

    /** The pieces as strings (for tests and small inputs). */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        split(text, (t, s, e) -> pieces.add(t.substring(s, e)));
        return pieces;
    }
}
