package rlhf4j.data;

import java.nio.file.Path;
import rlhf4j.io.DataException;

/**
 * A row that is well-formed but cannot train anything: identical chosen and rejected, an empty response, a
 * ranking without a pair, a prompt that fills the context. {@link RowSkips} counts and skips such rows, or
 * (a strict data section) lets this error stop the run like any other bad row.
 */
public final class UselessRowException extends DataException {
    private final String why;

    UselessRowException(Path file, int line, String why) {
        super(file, line, why);
        this.why = why;
    }

    /** The reason, without the file and line. */
    public String why() {
        return why;
    }
}
