package rlhf4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import rlhf4j.io.AtomicFile;

/**
 * {@code metrics.csv}: a header row, then one row per logged step, column {@code step} first.
 * On resume the rows logged after the checkpoint's step are dropped, so the file reads as one
 * uninterrupted run. Each row is appended by reopening the file, because a checkpoint save
 * replaces the stage folder (and with it this file) underneath the run.
 */
public final class MetricsCsv implements AutoCloseable {
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setRecordSeparator('\n').build();

    private final Supplier<Path> file;
    private final List<String> columns;

    private MetricsCsv(Supplier<Path> file, List<String> columns) {
        this.file = file;
        this.columns = columns;
    }

    /** Starts a new file (or, when {@code keepUpToStep >= 0}, keeps the rows up to that step). */
    public static MetricsCsv open(Path file, List<String> columns, int keepUpToStep) {
        return open(() -> file, columns, keepUpToStep);
    }

    /** As {@link #open(Path, List, int)}, for a file whose folder may change between rows ({@link LiveFiles}). */
    public static MetricsCsv open(Supplier<Path> where, List<String> columns, int keepUpToStep) {
        Path file = where.get();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            List<List<String>> kept = keepUpToStep >= 0 && Files.exists(file) ? rowsUpTo(file, keepUpToStep, columns)
                    : List.of();
            StringBuilder text = new StringBuilder();
            try (CSVPrinter printer = new CSVPrinter(text, FORMAT)) {
                printer.printRecord(columns);
                for (List<String> row : kept) {
                    printer.printRecord(row);
                }
            }
            // replaced in one rename: a kill while rewriting must not lose the rows being kept
            AtomicFile.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
            return new MetricsCsv(where, List.copyOf(columns));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static List<List<String>> rowsUpTo(Path file, int step, List<String> columns) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(file, StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            if (!parser.getHeaderNames().equals(columns)) {
                return rows;
            }
            for (CSVRecord r : parser) {
                // a row cut short by a kill mid-append is dropped, whatever its first field reads
                if (r.size() == columns.size() && r.get(0).matches("\\d+") && Integer.parseInt(r.get(0)) <= step) {
                    rows.add(r.toList());
                }
            }
        }
        return rows;
    }

    /** The numbers of the file's last row by column (empty cells left out; empty map when there is no row). */
    public Map<String, Double> lastRow() {
        Path target = file.get();
        Map<String, Double> out = new LinkedHashMap<>();
        try (CSVParser parser = CSVParser.parse(target, StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            CSVRecord last = null;
            for (CSVRecord r : parser) {
                last = r;
            }
            if (last != null) {
                for (String c : parser.getHeaderNames()) {
                    String v = last.isSet(c) ? last.get(c) : "";
                    if (!v.isEmpty()) {
                        try {
                            out.put(c, Double.parseDouble(v));
                        } catch (NumberFormatException notANumber) {
                            // a damaged cell: left out
                        }
                    }
                }
            }
        } catch (IOException | IllegalStateException | UncheckedIOException e) {
            return out;
        }
        return out;
    }

    /** Appends a row; missing columns are left empty, numbers written in full precision. */
    public void append(Map<String, ? extends Number> values) {
        List<String> row = new ArrayList<>(columns.size());
        for (String c : columns) {
            Number v = values.get(c);
            row.add(v == null ? "" : format(v));
        }
        Path target = file.get();
        try (BufferedWriter w = Files.newBufferedWriter(target, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
             CSVPrinter printer = new CSVPrinter(w, FORMAT)) {
            printer.printRecord(row);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static String format(Number v) {
        if (v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        double d = v.doubleValue();
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    @Override
    public void close() {
        // nothing is held open between rows
    }
}
