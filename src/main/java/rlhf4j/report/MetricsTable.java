package rlhf4j.report;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import rlhf4j.io.DataException;

/**
 * A stage's {@code metrics.csv} read column by column: for every column after {@code step}, the
 * (step, value) points of the rows where that column was logged. Empty cells (a metric not logged
 * that step, such as {@code val_loss} between evaluations) are left out; a cell that is not a number
 * (a row cut short by a crash) is skipped and counted in {@link #skippedCells}. Values keep full
 * precision, {@code NaN} and infinities included, exactly as {@link Double#parseDouble} reads them.
 *
 * @param columns      the header, {@code step} first
 * @param series       every column but {@code step}, in header order
 * @param rows         data rows read
 * @param skippedCells non-empty cells that were not numbers (or rows whose step was not)
 */
public record MetricsTable(List<String> columns, Map<String, List<Point>> series, int rows, int skippedCells) {

    /** One logged value. */
    public record Point(int step, double value) {}

    public MetricsTable {
        columns = List.copyOf(columns);
        Map<String, List<Point>> copy = new LinkedHashMap<>();
        series.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        series = Collections.unmodifiableMap(copy);
    }

    /**
     * Reads {@code file}.
     *
     * @throws DataException when the file is empty or its first column is not {@code step}
     * @throws IOException   when it cannot be read
     */
    public static MetricsTable read(Path file) throws IOException {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                .setAllowMissingColumnNames(true).build();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser parser = CSVParser.parse(in, format)) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty() || !header.get(0).equals("step")) {
                throw new DataException(file, 1, "metrics.csv must start with a header row whose first column is step");
            }
            Map<String, List<Point>> series = new LinkedHashMap<>();
            for (String c : header.subList(1, header.size())) {
                series.put(c, new ArrayList<>());
            }
            int rows = 0;
            int skipped = 0;
            for (CSVRecord r : parser) {
                rows++;
                int step;
                try {
                    step = Integer.parseInt(r.get(0).trim());
                } catch (NumberFormatException e) {
                    skipped++;
                    continue;
                }
                for (int i = 1; i < Math.min(header.size(), r.size()); i++) {
                    String cell = r.get(i).trim();
                    if (cell.isEmpty()) {
                        continue;
                    }
                    try {
                        series.get(header.get(i)).add(new Point(step, Double.parseDouble(cell)));
                    } catch (NumberFormatException e) {
                        skipped++;
                    }
                }
            }
            return new MetricsTable(header, series, rows, skipped);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // commons-csv reports a malformed header or quoting this way
            throw new DataException(file, "unreadable metrics.csv: " + e.getMessage());
        }
    }

    public boolean has(String column) {
        return !points(column).isEmpty();
    }

    /** The logged points of {@code column} in file order; empty when the column is absent or never logged. */
    public List<Point> points(String column) {
        return series.getOrDefault(column, List.of());
    }

    /** The first logged value of {@code column}. */
    public OptionalDouble first(String column) {
        List<Point> p = points(column);
        return p.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(p.get(0).value());
    }

    /** The last logged (non-empty) value of {@code column}. */
    public OptionalDouble last(String column) {
        List<Point> p = points(column);
        return p.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(p.get(p.size() - 1).value());
    }

    /** The step of the first logged value of {@code column}, or -1. */
    public int firstStep(String column) {
        List<Point> p = points(column);
        return p.isEmpty() ? -1 : p.get(0).step();
    }

    /** The step of the last logged value of {@code column}, or -1. */
    public int lastStep(String column) {
        List<Point> p = points(column);
        return p.isEmpty() ? -1 : p.get(p.size() - 1).step();
    }
}
