package rlhf4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** Fills a folder and may throw {@link IOException}: the writer given to {@link AtomicDir#write}. */
@FunctionalInterface
public interface IoConsumer {
    void accept(Path dir) throws IOException;
}
