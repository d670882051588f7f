package rlhf4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** metrics.csv read as rows of column → text, optionally without the timing columns that differ run to run. */
public final class MetricsRows {
    private MetricsRows() {}

    /** Whether {@code column} measures time ({@code tokens_per_s}, {@code elapsed_s}, any {@code *_s}, PPO's {@code rollout_share}). */
    public static boolean isTiming(String column) {
        return column.equals("tokens_per_s") || column.endsWith("_s") || column.equals("rollout_share");
    }

    /** Every row, every column, in file order. */
    public static List<Map<String, String>> read(Path file) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (CSVParser p = CSVParser.parse(file, StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            List<String> header = p.getHeaderNames();
            for (CSVRecord r : p) {
                Map<String, String> row = new LinkedHashMap<>();
                for (String c : header) {
                    row.put(c, r.get(c));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** As {@link #read}, without the timing columns: what must be identical between equal runs. */
    public static List<Map<String, String>> withoutTiming(Path file) throws IOException {
        List<Map<String, String>> rows = read(file);
        for (Map<String, String> row : rows) {
            row.keySet().removeIf(MetricsRows::isTiming);
        }
        return rows;
    }
}
