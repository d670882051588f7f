package rlhf4j.data;

import java.nio.file.Path;

/**
 * One text file of a corpus: where it came from and its content, decoded as UTF-8 with line endings as LF.
 */
public record Document(Path source, String text) {
}
