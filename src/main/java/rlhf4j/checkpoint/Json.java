package rlhf4j.checkpoint;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.DataException;

/**
 * Shared JSON helpers: one Jackson configuration, used only through immutable readers and
 * writers. Output is pretty-printed with two-space indents, {@code "key": value}, {@code \n} line
 * ends and a final newline; record components keep declaration order, maps their iteration order
 * (pass a LinkedHashMap or TreeMap for a stable file). Reading is strict (unknown properties of a
 * target class fail, a key given twice fails, anything after the value fails: a second object or junk is never
 * silently dropped); malformed input raises {@link DataException} with the file and line.
 */
public final class Json {
    private static final ObjectReader READER;
    private static final ObjectWriter WRITER;
    private static final ObjectWriter COMPACT;

    static {
        ObjectMapper mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                        .withObjectEmptySeparator("")
                        .withArrayEmptySeparator(""));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        READER = mapper.reader();
        WRITER = mapper.writer(printer);
        COMPACT = mapper.writer();
    }

    private Json() {}

    /** The shared reader (immutable). */
    public static ObjectReader reader() {
        return READER;
    }

    /** The shared pretty-printing writer (immutable). */
    public static ObjectWriter writer() {
        return WRITER;
    }

    /** {@code value} as JSON on one line, no spaces: a JSONL row. */
    public static String line(Object value) {
        try {
            return COMPACT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} as pretty JSON text with a final newline, in UTF-8: the bytes of a stage's JSON file. */
    public static byte[] bytes(Object value) {
        return (toString(value) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code value} as pretty JSON (UTF-8, final newline), atomically ({@link AtomicFile}): a reader sees the
     * old file or the new one, never half of one. Every stage's JSON file is written this way.
     */
    public static void write(Path file, Object value) throws IOException {
        AtomicFile.write(file, bytes(value));
    }

    /** Pretty JSON text of {@code value}, without a final newline. */
    public static String toString(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + value.getClass().getName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    public static <T> T read(Path file, Class<T> type) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return READER.forType(type).readValue(in);
        } catch (JsonProcessingException e) {
            throw dataException(file, e);
        }
    }

    public static <T> T read(Path file, TypeReference<T> type) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return READER.forType(type).readValue(in);
        } catch (JsonProcessingException e) {
            throw dataException(file, e);
        }
    }

    /** The file's JSON tree; an empty file is an error. */
    public static JsonNode readTree(Path file) throws IOException {
        JsonNode node;
        try (InputStream in = Files.newInputStream(file)) {
            node = READER.readTree(in);
        } catch (JsonProcessingException e) {
            throw dataException(file, e);
        }
        if (node == null || node instanceof MissingNode) {
            throw new DataException(file, "empty JSON file");
        }
        return node;
    }

    /** Parses JSON text (no file): malformed text raises {@link IllegalArgumentException}. */
    public static JsonNode parse(String text) {
        try {
            return READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Converts a JSON tree to {@code type} (e.g. a section of a file to a record). */
    public static <T> T convert(JsonNode node, Class<T> type) {
        try {
            return READER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot convert to " + type.getSimpleName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    private static DataException dataException(Path file, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        int line = loc == null ? 0 : Math.max(0, loc.getLineNr());
        return new DataException(file, line, "invalid JSON: " + e.getOriginalMessage());
    }
}
