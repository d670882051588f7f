package rlhf4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import rlhf4j.io.DataException;

/**
 * Reads a pretraining corpus: {@code .txt} files, or folders whose {@code *.txt} files (not recursive) are read in
 * name order. Decoding is strict UTF-8; every problem is a {@link DataException} naming the file (and the line,
 * for invalid bytes).
 */
public final class TextCorpus {
    private static final String TXT = ".txt";

    private TextCorpus() {
    }

    /** The documents of {@code paths}, in order; a folder contributes its .txt files sorted by name. */
    public static List<Document> read(List<Path> paths) {
        List<Document> documents = new ArrayList<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                throw new DataException(path, "no such file or directory");
            }
            if (Files.isDirectory(path)) {
                for (Path file : textFilesIn(path)) {
                    documents.add(readFile(file));
                }
            } else if (!isTxt(path)) {
                throw new DataException(path, "expected a .txt file");
            } else {
                documents.add(readFile(path));
            }
        }
        return documents;
    }

    /** One .txt file: strict UTF-8 (a leading byte-order mark is dropped), CRLF and CR become LF. */
    public static Document readFile(Path file) {
        byte[] bytes;
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {   // a FIFO would block, /dev/zero never end
                throw new DataException(file, "not a regular file (a pipe or device is not a data file)");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file, "no such file or directory");
        } catch (AccessDeniedException e) {
            throw new DataException(file, "cannot read: permission denied");
        } catch (IOException e) {
            throw new DataException(file, "cannot read: " + e.getMessage());
        }
        String text = decode(file, bytes);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (text.isBlank()) {
            throw new DataException(file, "empty file");
        }
        return new Document(file, text.replace("\r\n", "\n").replace('\r', '\n'));
    }

    /** Decodes strictly; the first malformed or unmappable byte is reported with its 1-based line. */
    public static String decode(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            throw new DataException(file, lineAt(bytes, offset), "invalid UTF-8 at byte offset " + offset);
        }
        return out.flip().toString();
    }

    /** 1-based line number of the byte at {@code offset}. */
    private static int lineAt(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    private static List<Path> textFilesIn(Path dir) {
        List<Path> files;
        try (Stream<Path> entries = Files.list(dir)) {
            files = entries.filter(p -> isTxt(p) && Files.isRegularFile(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (AccessDeniedException e) {
            throw new DataException(dir, "cannot read: permission denied");
        } catch (IOException e) {
            throw new DataException(dir, "cannot read: " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new DataException(dir, "no .txt files");
        }
        return files;
    }

    private static boolean isTxt(Path path) {
        return path.getFileName() != null && path.getFileName().toString().endsWith(TXT);
    }
}
