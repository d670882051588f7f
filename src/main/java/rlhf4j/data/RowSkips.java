package rlhf4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a stage does with rows that are well-formed but useless for training ({@link UselessRowException}):
 * by default they are skipped and counted, and {@link #warning} names how many, why, and the first few
 * {@code FILE:LINE}s; with a strict data section ({@code <stage>.data.strict: true}) the first one is an error.
 * Malformed rows are errors either way. One instance collects the skips of one stage's data.
 */
public final class RowSkips {
    private static final int SHOWN = 3;

    private final boolean strict;
    private final Map<String, List<String>> byReason = new LinkedHashMap<>();   // why → FILE:LINE, in file order

    public RowSkips(boolean strict) {
        this.strict = strict;
    }

    /** Every useless row is an error. */
    public static RowSkips strict() {
        return new RowSkips(true);
    }

    /** Each row of {@code file} parsed, in file order, without the useless ones (or failing on the first, when strict). */
    <T> List<T> keep(Path file, Function<DataRow, T> parse) {
        List<T> out = new ArrayList<>();
        for (DataRow row : JsonlCsvRows.read(file)) {
            try {
                out.add(parse.apply(row));
            } catch (UselessRowException e) {
                record(e);
            }
        }
        return out;
    }

    /** A row found useless after reading (its prompt fills the context): an error when strict, else counted. */
    public void skip(Path file, int line, String why) {
        record(new UselessRowException(file, line, why));
    }

    private void record(UselessRowException e) {
        if (strict) {
            throw e;
        }
        byReason.computeIfAbsent(e.why(), k -> new ArrayList<>()).add(e.file() + ":" + e.line());
    }

    /** {@code "; 8 rows skipped, the first at FILE:LINE: why"}, or "" when none was (for errors about what is left). */
    public String note() {
        if (byReason.isEmpty()) {
            return "";
        }
        Map.Entry<String, List<String>> first = byReason.entrySet().iterator().next();
        return "; " + count() + (count() == 1 ? " row" : " rows") + " skipped, the first at " + first.getValue().get(0)
                + ": " + first.getKey();
    }

    /** How many rows were skipped. */
    public int count() {
        return byReason.values().stream().mapToInt(List::size).sum();
    }

    /**
     * One line for the user when rows were skipped: {@code warning: skipped 12 rows that cannot train: 12 × chosen
     * and rejected are identical (p.jsonl:265, p.jsonl:301, p.jsonl:410, …); rm.data.strict: true makes them
     * errors}.
     */
    public Optional<String> warning(String strictKey) {
        if (byReason.isEmpty()) {
            return Optional.empty();
        }
        List<String> parts = new ArrayList<>();
        byReason.forEach((why, where) -> parts.add(where.size() + " × " + why + " (" + String.join(", ",
                where.subList(0, Math.min(SHOWN, where.size()))) + (where.size() > SHOWN ? ", …" : "") + ")"));
        int n = count();
        return Optional.of("warning: skipped " + n + (n == 1 ? " row" : " rows") + " that cannot train: "
                + String.join("; ", parts) + "; " + strictKey + ": true makes them errors");
    }
}
