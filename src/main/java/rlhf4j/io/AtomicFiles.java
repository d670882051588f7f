package rlhf4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import rlhf4j.io.AtomicFile;

/**
 * Publishes fetched and built data folders by filling them next to their final place under a hidden temporary name,
 * forcing them to disk and renaming, so an interrupted fetch or build, or a crash just after one, never leaves
 * something that looks complete (single files go through {@link AtomicFile}, JSON-lines files through
 * {@link #writeJsonLines}). A checkpoint, which must also survive a crash between its two renames, goes through
 * {@link AtomicDir} instead.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A fresh hidden folder beside {@code target} (same file system, so the final rename is atomic). */
    public static Path stagingDir(Path target) throws IOException {
        Files.createDirectories(parentOf(target));
        return Files.createDirectory(partialSibling(target));
    }

    /** Renames a finished staging folder to {@code target}; if someone else published it first, keeps theirs. */
    public static void publishDir(Path staging, Path target) throws IOException {
        FileSync.forceTree(staging);
        try {
            move(staging, target, false);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            deleteTree(staging);
        }
        FileSync.forceDirectory(parentOf(target));
    }

    /**
     * Renames a finished staging folder to {@code target}, replacing what is there: an existing {@code target} is
     * first renamed aside to a hidden name and deleted once the new folder is in place, so {@code target} is at
     * every moment absent, the old folder or the new one, never a mixture.
     */
    public static void replaceDir(Path staging, Path target) throws IOException {
        FileSync.forceTree(staging);
        Path old = null;
        if (Files.exists(target)) {
            old = partialSibling(target);
            move(target, old, false);
        }
        move(staging, target, false);
        FileSync.forceDirectory(parentOf(target));
        deleteTree(old);
    }

    /** Rows as JSON lines (Jackson, one object a line, each line ended by a newline), written atomically. */
    public static void writeJsonLines(Path file, List<?> rows) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder text = new StringBuilder();
        for (Object row : rows) {
            try {
                text.append(json.writeValueAsString(row)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise " + row, e);
            }
        }
        AtomicFile.writeString(file, text.toString());
    }

    /** Deletes a file or a folder with everything in it; missing is fine. */
    public static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try {
            FileSync.deleteRecursively(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void move(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            if (replace) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to);
            }
        }
    }

    /**
     * A hidden, not yet existing name beside {@code target}. Created with {@code Files.createDirectory} or
     * {@code CREATE_NEW} rather than as a temporary file, so the result gets the usual permissions, not 0600.
     */
    private static Path partialSibling(Path target) {
        String tag = Long.toHexString(ThreadLocalRandom.current().nextLong());
        return parentOf(target).resolve("." + target.getFileName() + ".partial-" + tag);
    }

    private static Path parentOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent == null ? target.toAbsolutePath() : parent;
    }
}
