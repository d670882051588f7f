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
 * Reads and writes {@link BpeTokenizer}s as Hugging Face {@code tokenizer.json}: a byte-level BPE model with a
 * ByteLevel decoder, and either GPT-2's ByteLevel pre-tokenizer or, as Llama-3 and Qwen2 ship, a {@code Sequence}
 * of a {@code Split} regex and a ByteLevel that does not split again, with an optional NFC normalizer and
 * {@code ignore_merges}. Added tokens become the tokenizer's special (or plain added) tokens. Keys are written in
 * a fixed order. Merges are read as "a b" strings or as [a, b] arrays.
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
        EncodingRules rules = tok.rules();
        if (rules.nfc()) {
            root.putObject("normalizer").put("type", "NFC");
        } else {
            root.putNull("normalizer");
        }
        String regex = rules.preTokenizer().hfRegex();
        if (regex == null) {
            root.set("pre_tokenizer", byteLevel(false, true));
        } else {
            ObjectNode sequence = root.putObject("pre_tokenizer");
            sequence.put("type", "Sequence");
            ArrayNode steps = sequence.putArray("pretokenizers");
            ObjectNode split = steps.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", regex);
            split.put("behavior", "Isolated");
            split.put("invert", false);
            steps.add(byteLevel(false, false).put("use_regex", false));
        }
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        root.set("model", model(tok));
        return root;
    }

    private static ArrayNode addedTokens(BpeTokenizer tok) {
        ArrayNode added = NODES.arrayNode();
        for (String s : tok.addedTokens()) {
            ObjectNode t = added.addObject();
            t.put("id", tok.id(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", tok.isSpecial(tok.id(s)));
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
        model.put("ignore_merges", tok.rules().ignoreMerges());
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
        /** Per id, whether an added token there has "special": false. */
        private final List<Boolean> plain = new ArrayList<>();
        private boolean nfc;
        private int idLimit;

        Reader(Path file) {
            this.file = file;
        }

        BpeTokenizer read(JsonNode root) {
            JsonNode model = object(root, "model");
            checkType(model, "model", "BPE");
            nfc = readNormalizer(root.get("normalizer"));
            PreTokenizer preTokenizer = readPreTokenizer(root.get("pre_tokenizer"));
            JsonNode decoder = root.get("decoder");
            if (decoder != null && !decoder.isNull()) {
                checkType(decoder, "decoder", "ByteLevel");
            }
            checkNoAffix(model, "continuing_subword_prefix");
            checkNoAffix(model, "end_of_word_suffix");
            if (model.path("byte_fallback").asBoolean(false)) {
                throw bad("model.byte_fallback true is not supported: a byte-level BPE has no unknown bytes to fall "
                        + "back from (SentencePiece-style files such as Llama-2's and TinyLlama's are not read here)");
            }
            JsonNode dropout = model.get("dropout");
            if (dropout != null && !dropout.isNull() && dropout.asDouble() != 0) {
                throw bad("model.dropout " + dropout + " is not supported: BPE dropout makes encoding random");
            }
            boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
            JsonNode added = root.get("added_tokens");
            idLimit = object(model, "vocab").size() + (added == null ? 0 : added.size());
            readVocab(object(model, "vocab"));
            readAddedTokens(added);
            checkDense();
            byte[][] tokenBytes = new byte[strings.size()][];
            String[] specialText = new String[strings.size()];
            boolean[] isSpecial = new boolean[strings.size()];
            for (int id = 0; id < strings.size(); id++) {
                String s = strings.get(id);
                if (special.get(id)) {
                    specialText[id] = s;
                    isSpecial[id] = !plain.get(id);
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
                return new BpeTokenizer(tokenBytes, specialText, isSpecial, merges,
                        new EncodingRules(preTokenizer, nfc, ignoreMerges));
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
        }

        /** Whether the normalizer is NFC: none and NFC (Qwen2's) are what is reproduced here. */
        private boolean readNormalizer(JsonNode normalizer) {
            if (normalizer == null || normalizer.isNull()) {
                return false;
            }
            String type = normalizer.path("type").asText("?");
            if (type.equals("NFC")) {
                return true;
            }
            if (type.equals("Sequence") && normalizer.path("normalizers").size() == 1
                    && normalizer.path("normalizers").get(0).path("type").asText().equals("NFC")) {
                return true;
            }
            throw bad("normalizer " + quote(type) + " is not supported (only none or NFC): this tokenizer would not "
                    + "apply it, and its ids would differ from the original's");
        }

        /**
         * GPT-2's ByteLevel (splitting with its built-in regex), or Llama-3/Qwen2's Sequence of a Split on a regex
         * (each match a piece, the text between matches too) then a ByteLevel that only maps bytes.
         */
        private PreTokenizer readPreTokenizer(JsonNode pre) {
            if (pre == null || pre.isNull()) {
                return PreTokenizer.GPT2;
            }
            String type = pre.path("type").asText("?");
            if (type.equals("ByteLevel")) {
                checkNoPrefixSpace(pre, "pre_tokenizer");
                if (pre.has("use_regex") && !pre.path("use_regex").asBoolean(true)) {
                    throw bad("pre_tokenizer.use_regex false without a Split before it is not supported: the whole "
                            + "text would be one piece");
                }
                return PreTokenizer.GPT2;
            }
            if (!type.equals("Sequence")) {
                throw bad("pre_tokenizer.type is " + quote(type) + ", only ByteLevel or a Sequence of Split and "
                        + "ByteLevel (as Llama-3 and Qwen2 have) is supported");
            }
            JsonNode steps = pre.path("pretokenizers");
            if (steps.size() != 2 || !steps.get(0).path("type").asText().equals("Split")
                    || !steps.get(1).path("type").asText().equals("ByteLevel")) {
                throw bad("pre_tokenizer: only a Sequence of exactly [Split, ByteLevel] is supported");
            }
            JsonNode split = steps.get(0);
            JsonNode regex = split.path("pattern").get("Regex");
            if (regex == null || !regex.isTextual()) {
                throw bad("pre_tokenizer.pretokenizers[0].pattern must be {\"Regex\": ...} (a String pattern is "
                        + "not supported)");
            }
            if (!split.path("behavior").asText().equals("Isolated")) {
                throw bad("pre_tokenizer.pretokenizers[0].behavior " + split.path("behavior")
                        + " is not supported, only \"Isolated\"");
            }
            if (split.path("invert").asBoolean(false)) {
                throw bad("pre_tokenizer.pretokenizers[0].invert true is not supported");
            }
            JsonNode byteLevel = steps.get(1);
            checkNoPrefixSpace(byteLevel, "pre_tokenizer.pretokenizers[1]");
            if (byteLevel.path("use_regex").asBoolean(true)) {
                throw bad("pre_tokenizer.pretokenizers[1].use_regex true after a Split is not supported: "
                        + "GPT-2's regex would split the pieces again");
            }
            try {
                return PreTokenizer.fromRegex(regex.asText());
            } catch (IllegalArgumentException e) {
                throw bad("pre_tokenizer.pretokenizers[0]: " + e.getMessage());
            }
        }

        private void checkNoPrefixSpace(JsonNode byteLevel, String where) {
            if (byteLevel.path("add_prefix_space").asBoolean(false)) {
                throw bad(where + ".add_prefix_space true is not supported (GPT-2's, Llama-3's and Qwen2's are "
                        + "false): the ids would differ from the original's");
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
                for (String strip : List.of("lstrip", "rstrip", "single_word")) {
                    if (t.path(strip).asBoolean(false)) {
                        throw bad(where + " (" + quote(content.asText()) + ") has " + strip + " true, which is not "
                                + "supported: matching it would take or need the spaces around it");
                    }
                }
                if (nfc && t.path("normalized").asBoolean(false)) {
                    throw bad(where + " (" + quote(content.asText()) + ") is matched after NFC (normalized true), "
                            + "which is not supported");
                }
                int id = id(t.get("id"), where + ".id");
                define(content.asText(), id, true);
                plain.set(id, !t.path("special").asBoolean(true));
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
                plain.add(false);
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
