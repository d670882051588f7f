package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

class TextCorpusTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        return file;
    }

    @Test
    void readsFilesAndFoldersInOrderWithLfLineEndings() throws IOException {
        Path single = write("single.txt", "one\r\ntwo\r\n");
        write("corpus/b.txt", "bee ✓\n");
        write("corpus/a.txt", "\uFEFFay\n");
        write("corpus/notes.md", "ignored");
        List<Document> docs = TextCorpus.read(List.of(single, dir.resolve("corpus")));
        assertEquals(List.of(single, dir.resolve("corpus/a.txt"), dir.resolve("corpus/b.txt")),
                docs.stream().map(Document::source).toList());
        assertEquals(List.of("one\ntwo\n", "ay\n", "bee ✓\n"), docs.stream().map(Document::text).toList());
    }

    @Test
    void invalidUtf8NamesFileLineAndOffset() throws IOException {
        byte[] bytes = "line one\nline two\nbad \u00e9 here\n".getBytes(StandardCharsets.ISO_8859_1);
        Path file = write("latin1.txt", bytes);
        DataException e = assertThrows(DataException.class, () -> TextCorpus.read(List.of(file)));
        assertEquals(file, e.file());
        assertEquals(3, e.line());
        assertEquals(file + ":3: invalid UTF-8 at byte offset 22", e.getMessage());
    }

    @Test
    void truncatedSequenceAtEndOfFileIsInvalid() throws IOException {
        Path file = write("cut.txt", new byte[] {'o', 'k', '\n', (byte) 0xE2, (byte) 0x9C});
        DataException e = assertThrows(DataException.class, () -> TextCorpus.read(List.of(file)));
        assertEquals(file + ":2: invalid UTF-8 at byte offset 3", e.getMessage());
    }

    @Test
    void emptyAndBlankFilesAreErrors() throws IOException {
        Path empty = write("empty.txt", "");
        Path blank = write("blank.txt", " \n\t\r\n");
        assertEquals(empty + ": empty file",
                assertThrows(DataException.class, () -> TextCorpus.read(List.of(empty))).getMessage());
        assertEquals(blank + ": empty file",
                assertThrows(DataException.class, () -> TextCorpus.read(List.of(blank))).getMessage());
    }

    @Test
    void missingPathIsAnError() {
        Path missing = dir.resolve("nope.txt");
        DataException e = assertThrows(DataException.class, () -> TextCorpus.read(List.of(missing)));
        assertEquals(missing + ": no such file or directory", e.getMessage());
    }

    @Test
    void folderWithoutTxtFilesIsAnError() throws IOException {
        write("other/readme.md", "x");
        Path folder = dir.resolve("other");
        assertEquals(folder + ": no .txt files",
                assertThrows(DataException.class, () -> TextCorpus.read(List.of(folder))).getMessage());
    }

    @Test
    void fileWithAnotherExtensionIsAnError() throws IOException {
        Path csv = write("data.csv", "a,b\n");
        assertEquals(csv + ": expected a .txt file",
                assertThrows(DataException.class, () -> TextCorpus.read(List.of(csv))).getMessage());
    }
}
