package rlhf4j.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import rlhf4j.io.DataException;

/**
 * Reads and writes {@link BpeTokenizer}s as Hugging Face {@code tokenizer.json}: a byte-level BPE model
 * with ByteLevel pre-tokenizer, post-processor and decoder; special tokens are the added tokens. Keys are
 * written in a fixed order. Merges are read as "a b" strings or as [a, b] arrays.
 */
final class TokenizerJson {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TokenizerJson() {
    }

    // ---------------------------------------------------------------- writing

    static void write(BpeTokenizer tok, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(tok, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the tokenizer.json text to {@code out}, leaving it open. */
    static void write(BpeTokenizer tok, OutputStream out) throws IOException {
        DefaultIndenter newline = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(newline)
                .withArrayIndenter(newline);
        MAPPER.writer(printer).without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .writeValue(out, toJson(tok));
    }

    private static ObjectNode toJson(BpeTokenizer tok) {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens(tok));
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        root.set("model", model(tok));
        return root;
    }

    private static ArrayNode addedTokens(BpeTokenizer tok) {
        ArrayNode added = NODES.arrayNode();
        for (String s : tok.specialTokens()) {
            ObjectNode t = added.addObject();
            t.put("id", tok.id(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        return added;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode node = NODES.objectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", addPrefixSpace);
        node.put("trim_offsets", trimOffsets);
        node.put("use_regex", true);
        return node;
    }

    private static ObjectNode model(BpeTokenizer tok) {
        ObjectNode model = NODES.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tok.vocabSize(); id++) {
            vocab.put(tok.tokenString(id), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int r = 0; r < tok.mergeCount(); r++) {
            int[] m = tok.merge(r);
            merges.add(tok.tokenString(m[0]) + " " + tok.tokenString(m[1]));
        }
        return model;
    }

    // ---------------------------------------------------------------- reading

    static BpeTokenizer read(Path file) {
        JsonNode root = parse(file);
        Reader reader = new Reader(file);
        return reader.read(root);
    }

    /**
     * The older Hugging Face pair of files, {@code vocab.json} (token → id) and {@code merges.txt} (one merge a
     * line, after an optional {@code #version} line), as GPT-2 and DistilGPT-2 ship them; {@code <|endoftext|>}
     * is their special token when the vocabulary has it.
     */
    static BpeTokenizer readVocabMerges(Path vocabFile, Path mergesFile) {
        JsonNode vocab = parse(vocabFile);
        List<String> lines;
        try {
            if (Files.size(mergesFile) > MAX_BYTES) {
                throw new DataException(mergesFile, "is more than the " + (MAX_BYTES >> 20) + " MB a merges file may have");
            }
            lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException(mergesFile, "cannot read merges: " + e);
        }
        ArrayNode merges = NODES.arrayNode();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            String[] pair = line.strip().split(" ", -1);
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {       // errors name merges.txt's line
                throw new DataException(mergesFile, i + 1, "expected two tokens separated by one space, got "
                        + Reader.quote(line.length() > 80 ? line.substring(0, 80) + "..." : line));
            }
            for (String token : pair) {
                if (!vocab.has(token)) {
                    throw new DataException(mergesFile, i + 1, "token " + Reader.quote(token) + " is not in "
                            + vocabFile.getFileName());
                }
            }
            merges.add(line.strip());
        }
        ObjectNode root = NODES.objectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.set("vocab", vocab);
        model.set("merges", merges);
        ArrayNode added = root.putArray("added_tokens");
        JsonNode eot = vocab.get(SpecialTokens.ENDOFTEXT);
        if (eot != null) {
            added.addObject().put("id", eot.asInt()).put("content", SpecialTokens.ENDOFTEXT);
        }
        return new Reader(vocabFile).read(root);
    }

    /** A bound on what is read: GPT-2's tokenizer.json is 1.4 MB and the largest common ones are tens of MB. */
    static final long MAX_BYTES = 64L << 20;

    private static JsonNode parse(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new DataException(file, "is " + Files.size(file) / (1 << 20) + " MB, more than the "
                        + (MAX_BYTES >> 20) + " MB a tokenizer file may have");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file, "cannot read tokenizer: " + e);
        }
        try {
            JsonNode root = MAPPER.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new DataException(file, "tokenizer.json must hold a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getLineNr());
            throw new DataException(file, line, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DataException(file, "cannot read tokenizer: " + e);
        }
    }

    /** One read of one file: checks each part and names what is wrong. */
    private static final class Reader {
        private final Path file;
        private final Map<String, Integer> ids = new HashMap<>();
        private final List<String> strings = new ArrayList<>();
        private final List<Boolean> special = new ArrayList<>();
        private int idLimit;

        Reader(Path file) {
            this.file = file;
        }

        BpeTokenizer read(JsonNode root) {
            JsonNode model = object(root, "model");
            checkType(model, "model", "BPE");
            JsonNode normalizer = root.get("normalizer");
            if (normalizer != null && !normalizer.isNull()) {
                throw bad("normalizer " + quote(normalizer.path("type").asText("?")) + " is not supported: this "
                        + "tokenizer would not apply it, and its ids would differ from the original's");
            }
            JsonNode pre = root.get("pre_tokenizer");
            if (pre != null && !pre.isNull()) {
                checkType(pre, "pre_tokenizer", "ByteLevel");
                if (pre.path("add_prefix_space").asBoolean(false)) {
                    throw bad("pre_tokenizer.add_prefix_space true is not supported (GPT-2's is false): the ids "
                            + "would differ from the original's");
                }
                if (pre.has("use_regex") && !pre.path("use_regex").asBoolean(true)) {
                    throw bad("pre_tokenizer.use_regex false is not supported (GPT-2's splitting is always applied "
                            + "here): the ids would differ from the original's");
                }
            }
            checkNoAffix(model, "continuing_subword_prefix");
            checkNoAffix(model, "end_of_word_suffix");
            JsonNode added = root.get("added_tokens");
            idLimit = object(model, "vocab").size() + (added == null ? 0 : added.size());
            readVocab(object(model, "vocab"));
            readAddedTokens(added);
            checkDense();
            byte[][] tokenBytes = new byte[strings.size()][];
            String[] specialText = new String[strings.size()];
            for (int id = 0; id < strings.size(); id++) {
                String s = strings.get(id);
                if (special.get(id)) {
                    specialText[id] = s;
                    tokenBytes[id] = s.getBytes(StandardCharsets.UTF_8);
                } else {
                    tokenBytes[id] = ByteUnicode.decode(s);
                    if (tokenBytes[id] == null || tokenBytes[id].length == 0) {
                        throw bad("model.vocab: token " + quote(s) + " is not a byte-level token");
                    }
                }
            }
            int[][] merges = readMerges(model.get("merges"));
            try {
                return new BpeTokenizer(tokenBytes, specialText, merges);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }

        private void readVocab(JsonNode vocab) {
            Iterator<Map.Entry<String, JsonNode>> fields = vocab.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                define(e.getKey(), id(e.getValue(), "model.vocab." + quote(e.getKey())), false);
            }
        }

        private void readAddedTokens(JsonNode added) {
            if (added == null || added.isNull()) {
                return;
            }
            if (!added.isArray()) {
                throw bad("added_tokens must be an array");
            }
            for (int i = 0; i < added.size(); i++) {
                JsonNode t = added.get(i);
                String where = "added_tokens[" + i + "]";
                JsonNode content = t.get("content");
                if (content == null || !content.isTextual() || content.asText().isEmpty()) {
                    throw bad(where + ".content must be a non-empty string");
                }
                define(content.asText(), id(t.get("id"), where + ".id"), true);
            }
        }

        /** Records token s at id; an added token may repeat its vocab entry, nothing else may repeat. */
        private void define(String s, int id, boolean isSpecial) {
            if (id >= idLimit) {
                throw bad("id " + id + " of " + quote(s) + " is beyond the " + idLimit + " tokens listed");
            }
            while (strings.size() <= id) {
                strings.add(null);
                special.add(false);
            }
            Integer previous = ids.get(s);
            if (previous != null && (!isSpecial || previous != id)) {
                throw bad("token " + quote(s) + " has ids " + previous + " and " + id);
            }
            if (previous == null && strings.get(id) != null) {
                throw bad("id " + id + " is given to both " + quote(strings.get(id)) + " and " + quote(s));
            }
            ids.put(s, id);
            strings.set(id, s);
            special.set(id, special.get(id) || isSpecial);
        }

        private void checkDense() {
            if (strings.isEmpty()) {
                throw bad("model.vocab is empty");
            }
            for (int id = 0; id < strings.size(); id++) {
                if (strings.get(id) == null) {
                    throw bad("no token has id " + id + " (ids must run from 0 to " + (strings.size() - 1) + ")");
                }
            }
        }

        private int[][] readMerges(JsonNode merges) {
            if (merges == null || !merges.isArray()) {
                throw bad("model.merges must be an array");
            }
            int[][] out = new int[merges.size()][];
            for (int r = 0; r < merges.size(); r++) {
                String[] parts = mergeParts(merges.get(r), "model.merges[" + r + "]");
                int left = ordinaryId(parts[0], r);
                int right = ordinaryId(parts[1], r);
                int result = ordinaryId(parts[0] + parts[1], r);
                out[r] = new int[] {left, right, result};
            }
            return out;
        }

        private String[] mergeParts(JsonNode merge, String where) {
            if (merge.isTextual()) {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
                    return parts;
                }
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual()
                    && merge.get(1).isTextual()) {
                return new String[] {merge.get(0).asText(), merge.get(1).asText()};
            }
            throw bad(where + " must be \"left right\" or [left, right], not " + merge);
        }

        private int ordinaryId(String token, int rank) {
            Integer id = ids.get(token);
            if (id == null || special.get(id)) {
                throw bad("model.merges[" + rank + "]: " + quote(token) + " is not in the vocab");
            }
            return id;
        }

        private JsonNode object(JsonNode parent, String key) {
            JsonNode node = parent.get(key);
            if (node == null || !node.isObject()) {
                throw bad("missing object \"" + key + "\"");
            }
            return node;
        }

        private int id(JsonNode node, String where) {
            if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 0) {
                throw bad(where + " must be a non-negative integer id, not " + node);
            }
            return node.asInt();
        }

        private void checkType(JsonNode node, String where, String expected) {
            JsonNode type = node.get("type");
            if (type != null && !expected.equals(type.asText())) {
                throw bad(where + ".type is " + type + ", only " + expected + " is supported");
            }
        }

        private void checkNoAffix(JsonNode model, String key) {
            JsonNode v = model.get(key);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) {
                throw bad("model." + key + " is not supported by a byte-level BPE");
            }
        }

        private DataException bad(String what) {
            return new DataException(file, "bad tokenizer: " + what);
        }

        static String quote(String s) {
            return "\"" + s + "\"";
        }
    }
}
