package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;
import rlhf4j.io.DataException;

/**
 * The rows of a fine-tuning data file, by extension: {@code .jsonl} (one JSON object a line, blank lines skipped)
 * or {@code .csv} (header row required, commons-csv default dialect). The whole file is read and decoded as
 * strict UTF-8 up front; every problem is a {@link DataException} with the file and the row's 1-based line (for
 * CSV, the physical line where the record starts). A file without rows is an "empty file".
 */
final class JsonlCsvRows {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final CSVFormat CSV = CSVFormat.DEFAULT.builder()
            .setHeader().setSkipHeaderRecord(true)
            .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
            .build();
    private static final int MAX_REASON = 120;
    /** Far above any conversation a context window holds; past it Jackson's own limit would speak in its terms. */
    static final int MAX_ROW_CHARS = 16 << 20;

    private JsonlCsvRows() {
    }

    /** All rows of {@code file}, in file order; never empty. */
    static List<DataRow> read(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        boolean jsonl = name.endsWith(".jsonl");
        if (!jsonl && !name.endsWith(".csv")) {
            throw new DataException(file, "expected a .jsonl or .csv file");
        }
        String text = TextCorpus.readFile(file).text();
        List<DataRow> rows = jsonl ? jsonl(file, text) : csv(file, text);
        if (rows.isEmpty()) {
            throw new DataException(file, "empty file");
        }
        return rows;
    }

    /** Parses one JSON value; trailing content and duplicate keys are errors. */
    static JsonNode parseJson(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    /** The first unpaired surrogate (as {@code \\uD83D}) in any string of {@code node}, or null. */
    static String loneSurrogate(JsonNode node) {
        if (node.isTextual()) {
            String t = node.textValue();
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < t.length() && Character.isLowSurrogate(t.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    return String.format("\\u%04X", (int) c);
                }
            }
            return null;
        }
        for (JsonNode child : node) {
            String found = loneSurrogate(child);
            if (found != null) {
                return found;
            }
        }
        if (node.isObject()) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String found = loneSurrogate(com.fasterxml.jackson.databind.node.TextNode.valueOf(names.next()));
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Jackson's message, without its source excerpt, plus the column: short enough for a one-line error. */
    static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage();
        if (message.startsWith("Trailing token")) {
            message = "unexpected content after the value";
        }
        int cut = message.indexOf('\n');
        message = cut >= 0 ? message.substring(0, cut) : message;
        cut = message.indexOf(" (start marker at");
        message = cut >= 0 ? message.substring(0, cut) : message;
        if (message.length() > MAX_REASON) {
            message = message.substring(0, MAX_REASON) + "...";
        }
        return e.getLocation() == null || e.getLocation().getColumnNr() < 1 ? message
                : message + " (column " + e.getLocation().getColumnNr() + ")";
    }

    private static List<DataRow> jsonl(Path file, String text) {
        List<DataRow> rows = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            int line = i + 1;
            if (lines[i].length() > MAX_ROW_CHARS) {
                throw new DataException(file, line, "the row has " + lines[i].length() / (1 << 20) + "M characters, "
                        + "more than the " + (MAX_ROW_CHARS >> 20) + "M a row may have");
            }
            JsonNode node;
            try {
                node = parseJson(lines[i]);
            } catch (JsonProcessingException e) {
                throw new DataException(file, line, "invalid JSON: " + reason(e));
            }
            if (!node.isObject()) {
                throw new DataException(file, line, "expected a JSON object, got " + kind(node));
            }
            String lone = loneSurrogate(node);
            if (lone != null) {
                throw new DataException(file, line, "the text holds " + lone + ", half of a UTF-16 pair with no other "
                        + "half: it is no character (a cut emoji?), and would be written as '?'");
            }
            Map<String, JsonNode> cells = new LinkedHashMap<>();
            node.fields().forEachRemaining(e -> cells.put(e.getKey(), e.getValue()));
            rows.add(new DataRow(file, line, line, cells, false));
        }
        return rows;
    }

    private static List<DataRow> csv(Path file, String text) {
        List<DataRow> rows = new ArrayList<>();
        LineCounter lines = new LineCounter(text);
        try (CSVParser parser = header(file, text)) {
            List<String> header = parser.getHeaderNames().stream().map(String::strip).toList();
            Iterator<CSVRecord> records = parser.iterator();
            while (true) {
                int next = lines.nextRecordLine((int) parser.getCurrentLineNumber());
                CSVRecord record;
                try {
                    if (!records.hasNext()) {
                        break;
                    }
                    record = records.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw new DataException(file, next, "invalid CSV: " + csvReason(e));
                }
                int line = lines.skipEmpty(lines.lineAt((int) record.getCharacterPosition()));
                if (record.size() != header.size()) {
                    throw new DataException(file, line,
                            "expected " + header.size() + " fields, got " + record.size());
                }
                Map<String, JsonNode> cells = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    cells.put(header.get(i), TextNode.valueOf(record.get(i)));
                }
                rows.add(new DataRow(file, line, 1, cells, true));
            }
        } catch (IOException e) {
            throw new DataException(file, "cannot read: " + e.getMessage());
        }
        return rows;
    }

    /** A parser positioned after the header row; a malformed header is an error at line 1. */
    private static CSVParser header(Path file, String text) {
        try {
            return CSVParser.parse(text, CSV);
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            throw new DataException(file, 1, "invalid CSV header: " + csvReason(e));
        }
    }

    /** commons-csv's message without its own line/position counts (ours is in the error) and API advice. */
    private static String csvReason(Exception e) {
        Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return message.replaceFirst("^(IOException reading next record: )?(java\\.io\\.IOException: )?", "")
                .replaceFirst("^\\((start)?line \\d+\\) ", "")
                .replaceFirst(" at line: \\d+, position: \\d+", "")
                .replaceFirst("\\. If this is valid.*$", "");
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Maps character offsets of the (LF-only) text to 1-based line numbers. */
    private static final class LineCounter {
        private final String text;
        private final int[] starts;

        LineCounter(String text) {
            this.text = text;
            List<Integer> list = new ArrayList<>();
            list.add(0);
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    list.add(i + 1);
                }
            }
            starts = list.stream().mapToInt(Integer::intValue).toArray();
        }

        int lineAt(int offset) {
            int found = Arrays.binarySearch(starts, offset);
            return found >= 0 ? found + 1 : -found - 1;
        }

        /** The line where the next record starts once {@code done} lines are consumed. */
        int nextRecordLine(int done) {
            return skipEmpty(done + 1);
        }

        /** {@code line}, or the first non-empty line after it (commons-csv skips empty lines before a record). */
        int skipEmpty(int line) {
            while (line < starts.length && starts[line] - 1 == starts[line - 1]) {
                line++;
            }
            return line;
        }
    }
}
