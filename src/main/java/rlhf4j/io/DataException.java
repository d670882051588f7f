package rlhf4j.io;

import java.nio.file.Path;

/**
 * Bad input data: a malformed row, a missing column, invalid UTF-8, an empty file. The message reads
 * {@code FILE:LINE: what is wrong} (line omitted when there is none); the CLI maps it to exit code 3.
 */
public class DataException extends RuntimeException {
    private final Path file;
    private final int line;

    public DataException(Path file, int line, String what) {
        super(format(file, line, what));
        this.file = file;
        this.line = line;
    }

    public DataException(Path file, String what) {
        this(file, 0, what);
    }

    public Path file() {
        return file;
    }

    /** 1-based line number, or 0 when the problem concerns the whole file. */
    public int line() {
        return line;
    }

    private static String format(Path file, int line, String what) {
        String where = file == null ? "" : file.toString() + (line > 0 ? ":" + line : "") + ": ";
        return where + what;
    }
}
