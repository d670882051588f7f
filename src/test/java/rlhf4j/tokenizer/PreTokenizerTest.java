package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {
    @Test
    void splitsLikeGpt2() {
        assertEquals(List.of("Hello", ",", " world", "!"), PreTokenizer.split("Hello, world!"));
        assertEquals(List.of("I", "'m", " here", ",", " they", "'re", " not"),
                PreTokenizer.split("I'm here, they're not"));
        assertEquals(List.of("abc", "123", " 45", " ++"), PreTokenizer.split("abc123 45 ++"));
        assertEquals(List.of("a", "\n", "\n", "b"), PreTokenizer.split("a\n\nb"));
        assertEquals(List.of("a", " ", " b"), PreTokenizer.split("a  b"));
        assertEquals(List.of("a", "   "), PreTokenizer.split("a   "));
        assertEquals(List.of("''", "s"), PreTokenizer.split("''s"));
    }

    @Test
    void unicodeWhitespaceAndLetters() {
        // U+3000 ideographic space is \s under Unicode rules; CJK and accented letters are \p{L}
        assertEquals(List.of("日本", "\u3000", "語"), PreTokenizer.split("日本\u3000語"));
        assertEquals(List.of("café", " naïve"), PreTokenizer.split("café naïve"));
        assertEquals(List.of("x", " 😀🎉"), PreTokenizer.split("x 😀🎉"));
    }

    @Test
    void piecesCoverTheText() {
        Random random = new Random(7);
        for (int n = 0; n < 500; n++) {
            String s = RandomText.string(random, 40);
            assertEquals(s, String.join("", PreTokenizer.split(s)));
        }
    }
}
