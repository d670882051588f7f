package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

class TokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BpeTokenizer TRAINED = Corpus.trained(520);

    @TempDir
    Path dir;

    @Test
    void saveThenLoadEncodesIdentically() {
        Path file = dir.resolve("tokenizer.json");
        TRAINED.save(file);
        BpeTokenizer loaded = BpeTokenizer.load(file);
        assertEquals(TRAINED.fingerprint(), loaded.fingerprint());
        assertEquals(TRAINED.vocabSize(), loaded.vocabSize());
        assertEquals(TRAINED.mergeCount(), loaded.mergeCount());
        assertEquals(TRAINED.specialTokens(), loaded.specialTokens());
        Random random = new Random(5);
        List<String> texts = new ArrayList<>(Corpus.DOCS);
        for (int n = 0; n < 300; n++) {
            texts.add(RandomText.string(random, 40));
        }
        for (String t : texts) {
            assertArrayEquals(TRAINED.encode(t), loaded.encode(t));
            assertArrayEquals(TRAINED.encodeWithSpecials(t), loaded.encodeWithSpecials(t));
        }
        Path again = dir.resolve("again.json");
        loaded.save(again);
        assertArrayEquals(bytes(file), bytes(again));
    }

    @Test
    void writesHuggingFaceLayout() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        TRAINED.save(file);
        JsonNode root = JSON.readTree(file.toFile());
        assertEquals(List.of("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                "post_processor", "decoder", "model"), fieldNames(root));
        assertEquals("1.0", root.get("version").asText());
        JsonNode added = root.get("added_tokens");
        assertEquals(4, added.size());
        assertEquals(0, added.get(0).get("id").asInt());
        assertEquals("<|endoftext|>", added.get(0).get("content").asText());
        assertTrue(added.get(0).get("special").asBoolean());
        assertEquals(List.of("id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"),
                fieldNames(added.get(0)));
        assertEquals("ByteLevel", root.get("pre_tokenizer").get("type").asText());
        assertEquals(false, root.get("pre_tokenizer").get("add_prefix_space").asBoolean());
        assertEquals("ByteLevel", root.get("decoder").get("type").asText());
        JsonNode model = root.get("model");
        assertEquals(List.of("type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges"), fieldNames(model));
        assertEquals("BPE", model.get("type").asText());
        JsonNode vocab = model.get("vocab");
        assertEquals(520, vocab.size());
        assertEquals(List.of("<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>", "Ā"),
                fieldNames(vocab).subList(0, 5));
        assertEquals(36, vocab.get("Ġ").asInt());
        JsonNode merges = model.get("merges");
        assertEquals(520 - 260, merges.size());
        String first = merges.get(0).asText();
        String[] parts = first.split(" ");
        assertEquals(2, parts.length);
        assertEquals(260, vocab.get(parts[0] + parts[1]).asInt());
        assertTrue(new String(bytes(file), StandardCharsets.UTF_8).contains("\"Ġt\": "));
    }

    @Test
    void acceptsMergesAsArrays() throws IOException {
        Path file = rewrite(root -> {
            ArrayNode merges = (ArrayNode) root.get("model").get("merges");
            for (int i = 0; i < merges.size(); i++) {
                String[] parts = merges.get(i).asText().split(" ");
                ArrayNode pair = JSON.createArrayNode().add(parts[0]).add(parts[1]);
                merges.set(i, pair);
            }
        });
        assertEquals(TRAINED.fingerprint(), BpeTokenizer.load(file).fingerprint());
    }

    @Test
    void malformedFilesGiveDataException() throws IOException {
        Path notJson = dir.resolve("broken.json");
        Files.writeString(notJson, "{\"version\": \"1.0\",\n \"model\": {");
        DataException e = assertThrows(DataException.class, () -> BpeTokenizer.load(notJson));
        assertEquals(notJson, e.file());
        assertTrue(e.getMessage().startsWith(notJson.toString()), e.getMessage());

        Path missing = dir.resolve("missing.json");
        assertThrows(DataException.class, () -> BpeTokenizer.load(missing));

        Path array = dir.resolve("array.json");
        Files.writeString(array, "[1, 2]");
        assertThrows(DataException.class, () -> BpeTokenizer.load(array));

        assertBad(root -> root.remove("model"), "model");
        assertBad(root -> model(root).put("type", "WordPiece"), "WordPiece");
        assertBad(root -> ((ObjectNode) root.get("pre_tokenizer")).put("type", "Whitespace"), "pre_tokenizer");
        assertBad(root -> model(root).remove("merges"), "merges");
        assertBad(root -> ((ArrayNode) model(root).get("merges")).add("Ġt zzzzz"), "zzzzz");
        assertBad(root -> ((ArrayNode) model(root).get("merges")).add("a b c"), "merges");
        assertBad(root -> ((ArrayNode) model(root).get("merges")).add(42), "merges");
        assertBad(root -> vocab(root).put("Ġt", 9999), "9999");
        assertBad(root -> vocab(root).put("Ġt", "x"), "integer");
        assertBad(root -> vocab(root).remove("a"), "id");
        assertBad(root -> vocab(root).put("a", 0), "0");
        assertBad(root -> vocab(root).put("\u4e00", 520), "byte-level");
        assertBad(root -> ((ObjectNode) root.get("added_tokens").get(0)).put("id", 7), "<|endoftext|>");
        assertBad(root -> ((ObjectNode) root.get("added_tokens").get(0)).remove("content"), "content");
    }

    @Test
    void duplicateVocabKeysAreRejected() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        TRAINED.save(file);
        String text = Files.readString(file).replace("\"Ā\": 4,", "\"Ā\": 4, \"Ā\": 4,");
        Files.writeString(file, text);
        assertThrows(DataException.class, () -> BpeTokenizer.load(file));
    }

    private void assertBad(Consumer<ObjectNode> damage, String mentioned) throws IOException {
        Path file = rewrite(damage);
        DataException e = assertThrows(DataException.class, () -> BpeTokenizer.load(file));
        assertTrue(e.getMessage().contains(mentioned), e.getMessage());
    }

    private Path rewrite(Consumer<ObjectNode> change) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        TRAINED.save(file);
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        change.accept(root);
        Path out = dir.resolve("changed.json");
        JSON.writeValue(out.toFile(), root);
        return out;
    }

    private static ObjectNode model(JsonNode root) {
        return (ObjectNode) root.get("model");
    }

    private static ObjectNode vocab(JsonNode root) {
        return (ObjectNode) root.get("model").get("vocab");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
