package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;
import rlhf4j.io.DataException;

/** Test helpers for the fine-tuning readers: temporary data files, fixtures, and error assertions. */
final class DataFiles {
    private DataFiles() {
    }

    static Path write(Path dir, String name, String text) throws IOException {
        return write(dir, name, text.getBytes(StandardCharsets.UTF_8));
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** A fixture under {@code src/test/resources/data/}. */
    static Path fixture(String name) {
        try {
            return Path.of(DataFiles.class.getResource("/data/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON text of one message object. */
    static String msg(String role, String content) {
        return "{\"role\": \"" + role + "\", \"content\": \"" + content + "\"}";
    }

    /** Asserts that {@code read} fails with exactly {@code FILE:LINE: what}. */
    static DataException assertError(Path file, int line, String what, Executable read) {
        DataException e = assertThrows(DataException.class, read);
        assertEquals(file + (line > 0 ? ":" + line : "") + ": " + what, e.getMessage());
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        return e;
    }

    /** The values of {@code items} with source and line dropped, to compare files of different formats. */
    static <T, R> List<R> contents(List<T> items, Function<T, R> content) {
        return items.stream().map(content).toList();
    }
}
