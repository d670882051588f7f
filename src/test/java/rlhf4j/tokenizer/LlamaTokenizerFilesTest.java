package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/**
 * Reading Llama-3 and Qwen2 style tokenizer.json files: their pre-tokenizer regex as Oniguruma splits, NFC,
 * ignore_merges, plain added tokens, writing them back unchanged, and a one-line refusal naming the file for
 * every setting the tokenizer would not reproduce.
 */
class LlamaTokenizerFilesTest {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final Path LLAMA = HfLlamaTokenizerTest.FIXTURES.resolve("llama3-tiny/tokenizer.json");
    private static final Path QWEN = HfLlamaTokenizerTest.FIXTURES.resolve("qwen2-tiny/tokenizer.json");

    @TempDir
    Path tmp;

    private static List<String> llamaPieces(String text) {
        return BpeTokenizer.load(LLAMA).rules().preTokenizer().pieces(text);
    }

    @Test
    void llamaRegexSplitsAsOniguruma() {
        assertEquals(List.of("I", "'LL", " go"), llamaPieces("I'LL go"));
        assertEquals(List.of("123", "45"), llamaPieces("12345"));
        assertEquals(List.of("a", "\r\n\r\n", "b"), llamaPieces("a\r\n\r\nb"));
        assertEquals(List.of("hello", "   "), llamaPieces("hello   "));
        assertEquals(List.of("a", "  ", " b"), llamaPieces("a   b"));
        assertEquals(List.of("(x", ")\n", "y"), llamaPieces("(x)\ny"));
        // \s is White_Space as in Oniguruma: U+0085 and U+3000 are spaces (a space run, then the last one joins the
        // word), U+200B (zero width space) is not (a punctuation run)
        assertEquals(List.of("a", "\u0085", "\u0085b"), llamaPieces("a\u0085\u0085b"));
        assertEquals(List.of("a", "\u3000", "\u3000b"), llamaPieces("a\u3000\u3000b"));
        assertEquals(List.of("a", "\u200b\u200b", "b"), llamaPieces("a\u200b\u200bb"));
        // (?i:'s) is Unicode case-insensitive in Oniguruma: the long s folds to s, so "'ſt" is "'ſ" then "t"
        assertEquals(List.of("'ſ", "t"), llamaPieces("'ſt"));
        BpeTokenizer qwen = BpeTokenizer.load(QWEN);
        assertEquals(List.of("1", "2", "3", "4", "5"), qwen.rules().preTokenizer().pieces("12345"));
    }

    @Test
    void ignoreMergesTakesAWholeVocabularyWordAsOneToken() throws IOException {
        BpeTokenizer llama = BpeTokenizer.load(LLAMA);
        assertEquals(1, llama.encode(" inconceivable").length);
        Path without = damaged(LLAMA, root -> ((ObjectNode) root.get("model")).put("ignore_merges", false));
        BpeTokenizer merged = BpeTokenizer.load(without);
        assertTrue(merged.encode(" inconceivable").length > 1, "no merges build the word");
        assertNotEquals(llama.fingerprint(), merged.fingerprint());
        assertEquals(" inconceivable", merged.decode(merged.encode(" inconceivable")));
    }

    @Test
    void qwenNormalizesToNfcAndKeepsPlainAddedTokens() {
        BpeTokenizer qwen = BpeTokenizer.load(QWEN);
        assertArrayEquals(qwen.encode("caf\u00e9"), qwen.encode("cafe\u0301"));
        assertEquals("caf\u00e9", qwen.decode(qwen.encode("cafe\u0301")));
        int call = qwen.id("<tool_call>");
        assertFalse(qwen.isSpecial(call), "special: false in the file");
        assertTrue(qwen.isAdded(call));
        assertTrue(qwen.isSpecial(qwen.id("<|im_end|>")));
        int[] ids = qwen.encodeWithSpecials("<|im_start|>x<tool_call>y<|im_end|>");
        assertEquals(qwen.id("<|im_start|>"), ids[0]);
        assertEquals("x<tool_call>y", qwen.decode(ids, true));
        assertEquals(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>"), qwen.specialTokens());
    }

    @Test
    void savedFilesReadBackAsTheSameTokenizer() throws IOException {
        for (Path file : List.of(LLAMA, QWEN)) {
            BpeTokenizer tok = BpeTokenizer.load(file);
            Path copy = tmp.resolve(file.getParent().getFileName() + ".json");
            tok.save(copy);
            BpeTokenizer again = BpeTokenizer.load(copy);
            assertEquals(tok.fingerprint(), again.fingerprint(), file.toString());
            for (String text : HfLlamaTokenizerTest.hostileTexts()) {
                assertArrayEquals(tok.encodeWithSpecials(text), again.encodeWithSpecials(text), text);
            }
            assertEquals("Split", MAPPER.readTree(copy.toFile()).at("/pre_tokenizer/pretokenizers/0/type").asText());
        }
        assertEquals("NFC", MAPPER.readTree(tmp.resolve("qwen2-tiny.json").toFile()).at("/normalizer/type").asText());
        assertTrue(MAPPER.readTree(tmp.resolve("llama3-tiny.json").toFile()).at("/model/ignore_merges").asBoolean());
    }

    @Test
    void settingsTheTokenizerCannotReproduceAreRefused() throws IOException {
        assertRefused(r -> model(r).put("byte_fallback", true), "byte_fallback");
        assertRefused(r -> model(r).put("dropout", 0.1), "dropout");
        assertRefused(r -> r.putObject("normalizer").put("type", "NFKC"), "NFKC");
        assertRefused(r -> r.putObject("pre_tokenizer").put("type", "Metaspace"), "Metaspace");
        assertRefused(r -> split(r).put("behavior", "Removed"), "Removed");
        assertRefused(r -> split(r).put("invert", true), "invert");
        assertRefused(r -> split(r).putObject("pattern").put("String", " "), "Regex");
        assertRefused(r -> split(r).putObject("pattern").put("Regex", "\\w+|\\s+"), "\\w");
        assertRefused(r -> split(r).putObject("pattern").put("Regex", "(?i:ss)|."), "case-insensitive");
        assertRefused(r -> split(r).putObject("pattern").put("Regex", "^\\s+"), "anchor");
        assertRefused(r -> split(r).putObject("pattern").put("Regex", "\\p{Han}+|."), "Han");
        assertRefused(r -> ((ObjectNode) r.at("/pre_tokenizer/pretokenizers/1")).put("use_regex", true), "use_regex");
        assertRefused(r -> ((ObjectNode) r.at("/pre_tokenizer/pretokenizers/1")).put("add_prefix_space", true),
                "add_prefix_space");
        assertRefused(r -> ((ObjectNode) ((ArrayNode) r.get("added_tokens")).get(0)).put("lstrip", true), "lstrip");
        assertRefused(r -> r.putObject("decoder").put("type", "Metaspace"), "decoder");
        assertRefused(r -> model(r).put("type", "Unigram"), "Unigram");
    }

    private static ObjectNode model(ObjectNode root) {
        return (ObjectNode) root.get("model");
    }

    private static ObjectNode split(ObjectNode root) {
        return (ObjectNode) root.at("/pre_tokenizer/pretokenizers/0");
    }

    private void assertRefused(Consumer<ObjectNode> damage, String mentioned) throws IOException {
        Path file = damaged(LLAMA, damage);
        DataException e = assertThrows(DataException.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(mentioned), mentioned + " not in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private Path damaged(Path source, Consumer<ObjectNode> damage) throws IOException {
        ObjectNode root = (ObjectNode) MAPPER.readTree(source.toFile());
        damage.accept(root);
        Path file = tmp.resolve("tokenizer-" + System.nanoTime() + ".json");
        MAPPER.writeValue(file.toFile(), root);
        return file;
    }
}
