package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import rlhf4j.io.DataException;

/**
 * One row of a JSONL or CSV data file: its columns by name, the 1-based {@code line} where it starts, and
 * {@code columnsLine}, the line that names its columns (the row itself in JSONL, the header in CSV), where a
 * missing column is reported. CSV cells are strings; a CSV cell holding a JSON list ({@code [{...}, ...]}) reads
 * as that list, so both formats hand the same values to the readers.
 */
record DataRow(Path file, int line, int columnsLine, Map<String, JsonNode> cells, boolean csv) {
    DataRow {
        cells = Map.copyOf(cells);
    }

    /** Whether the column is there at all (a JSON null or an empty CSV cell counts as there). */
    boolean has(String column) {
        return cells.containsKey(column);
    }

    /** Whether the column holds a value: there, and neither JSON null nor an empty CSV cell. */
    boolean present(String column) {
        JsonNode cell = cells.get(column);
        return cell != null && !cell.isNull() && !(csv && cell.asText().isEmpty());
    }

    /** The column's value; a missing column is an error. */
    JsonNode require(String column) {
        if (!has(column)) {
            throw missing("missing column \"" + column + "\"");
        }
        return value(column);
    }

    /** A required list column: a JSON array (in CSV, a cell holding one, such as {@code ["a", "b"]} or {@code [2, 0, 1]}). */
    JsonNode array(String column) {
        JsonNode node = require(column);
        if (csv && node.isTextual() && node.textValue().strip().startsWith("[")) {
            try {
                node = JsonlCsvRows.parseJson(node.textValue());
            } catch (JsonProcessingException e) {
                throw error("invalid JSON in \"" + column + "\": " + JsonlCsvRows.reason(e));
            }
        }
        if (!node.isArray()) {
            throw error("\"" + column + "\" must be a list");
        }
        return node;
    }

    /** The column's value, or {@code null} when it is missing, JSON null or an empty CSV cell. */
    JsonNode optional(String column) {
        return present(column) ? value(column) : null;
    }

    /** An error about this row. */
    DataException error(String what) {
        return new DataException(file, line, what);
    }

    /** A well-formed row that cannot train anything ({@link RowSkips} decides whether it is skipped or an error). */
    UselessRowException useless(String why) {
        return new UselessRowException(file, line, why);
    }

    /** An error about the columns this row has, reported where they are named. */
    DataException missing(String what) {
        return new DataException(file, columnsLine, what);
    }

    private JsonNode value(String column) {
        JsonNode cell = cells.get(column);
        if (!csv || !looksLikeJsonList(cell.asText())) {
            return cell;
        }
        try {
            return JsonlCsvRows.parseJson(cell.asText());
        } catch (JsonProcessingException e) {
            throw error("invalid JSON in \"" + column + "\": " + JsonlCsvRows.reason(e));
        }
    }

    /** {@code [} followed by {@code {} or {@code ]}: a list of objects, not prose that happens to open a bracket. */
    private static boolean looksLikeJsonList(String text) {
        String s = text.strip();
        if (!s.startsWith("[")) {
            return false;
        }
        String rest = s.substring(1).stripLeading();
        return rest.startsWith("{") || rest.startsWith("]");
    }
}
