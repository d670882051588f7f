package rlhf4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** A small mixed-script training corpus for tests, and a tokenizer trained on it. */
final class Corpus {
    static final List<String> DOCS = documents();

    private Corpus() {
    }

    static BpeTokenizer trained(int vocabSize) {
        return BpeTokenizer.train(DOCS, vocabSize, SpecialTokens.DEFAULT);
    }

    private static List<String> documents() {
        String[] lines = {
            "The quick brown fox jumps over the lazy dog. The dog doesn't care; the fox does.",
            "We'll see what they've done: 1,234 items at $56.78 each, and 90% of them were sold!",
            "In the beginning there was text, and the text was tokenized into bytes and merges.",
            "Unicode: café, naïve, Größe, Ελληνικά, русский текст, 日本語のテキスト, 中文文本, 한국어.",
            "Emoji 😀🎉👍🏽 and symbols → ≤ ≥ ∑ √ ∞ — “quotes” ‘single’ …",
            "Code: for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n\tindented\n\n\nblank lines",
            "<|endoftext|> appears here as plain text, as does <|im_start|>user and <|im_end|>.",
        };
        List<String> docs = new ArrayList<>();
        for (int copy = 0; copy < 5; copy++) {
            for (String line : lines) {
                docs.add(line + "\n" + line.toUpperCase() + "  \n");
            }
        }
        return docs;
    }
}
