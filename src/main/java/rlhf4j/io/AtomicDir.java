package rlhf4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces a whole folder (a checkpoint) so that a crash never leaves a half-written one: the
 * writer fills a sibling temp folder {@code .<name>.tmp-<pid>-<nanos>}, every file is forced to
 * disk, then the old folder is renamed to {@code .<name>.old-<pid>}, the temp folder renamed to
 * the target, and the old one deleted. {@link #recover} repairs a crash between the two renames.
 * Not safe against two writers of the same target at once.
 */
public final class AtomicDir {
    private AtomicDir() {}

    /**
     * Writes {@code target} through {@code writer}, which receives the empty temp folder. On any
     * failure the temp folder is deleted, the target is left as it was, and the exception
     * rethrown ({@link IOException}, or a writer's {@link UncheckedIOException}, as an
     * {@link UncheckedIOException} naming the target).
     */
    public static void write(Path target, IoConsumer writer) {
        Path dest = target.toAbsolutePath().normalize();
        Path parent = dest.getParent();
        String name = dest.getFileName().toString();
        long pid = ProcessHandle.current().pid();
        Path tmp = parent.resolve("." + name + ".tmp-" + pid + "-" + System.nanoTime());
        try {
            Files.createDirectories(parent);
            Files.createDirectory(tmp);
            writer.accept(tmp);
            FileSync.forceTree(tmp);
            swap(dest, tmp, parent.resolve("." + name + ".old-" + pid));
        } catch (IOException | RuntimeException | Error e) {
            try {
                FileSync.deleteRecursively(tmp);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot write " + dest + ": " + describe(io), io);
            }
            if (e instanceof UncheckedIOException u) {      // a writer's own wrapper names the temp folder
                throw new UncheckedIOException("cannot write " + dest + ": " + describe(u.getCause()), u.getCause());
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) e;
        }
    }

    /** The reason of an I/O failure in words: a bare {@code AccessDeniedException} only names its file. */
    static String describe(IOException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof AccessDeniedException) {
            return message + ": permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() == null) {
            return message + ": " + e.getClass().getSimpleName();
        }
        return message;
    }

    /** Moves {@code tmp} into place; on failure puts the old folder back before rethrowing. */
    private static void swap(Path dest, Path tmp, Path old) throws IOException {
        boolean hadOld = Files.exists(dest);
        if (hadOld) {
            FileSync.deleteRecursively(old);
            Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (hadOld) {
                try {
                    Files.move(old, dest, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        FileSync.forceDirectory(dest.getParent());
        if (hadOld) {
            try {
                FileSync.deleteRecursively(old);
            } catch (IOException e) {
                // the new folder is in place; a leftover .old folder is removed by recover()
            }
        }
    }

    /**
     * Repairs the target after a crash: when it is missing but a {@code .<name>.old-*} sibling
     * exists (a crash between the two renames), the newest old folder is renamed back. Leftover
     * old folders and temp folders of dead processes (or of this one) are deleted. Returns the
     * target path; call before reading or writing the target, not while this process writes it.
     */
    public static Path recover(Path target) {
        Path dest = target.toAbsolutePath().normalize();
        Path parent = dest.getParent();
        String name = dest.getFileName().toString();
        if (parent == null || !Files.isDirectory(parent)) {
            return dest;
        }
        try {
            List<Path> olds = siblings(parent, "." + name + ".old-");
            List<Path> tmps = siblings(parent, "." + name + ".tmp-");
            if (!Files.exists(dest) && !olds.isEmpty()) {
                olds.sort(Comparator.comparing(AtomicDir::modified).reversed());
                Files.move(olds.remove(0), dest, StandardCopyOption.ATOMIC_MOVE);
                FileSync.forceDirectory(parent);
            }
            for (Path old : olds) {
                FileSync.deleteRecursively(old);
            }
            long self = ProcessHandle.current().pid();
            for (Path tmp : tmps) {
                long pid = pidOf(tmp.getFileName().toString(), "." + name + ".tmp-");
                if (pid == self || pid < 0 || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                    FileSync.deleteRecursively(tmp);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover " + dest + ": " + e.getMessage(), e);
        }
        return dest;
    }

    /**
     * Where a reader finds the target's last complete contents without changing anything: the target itself, or,
     * while it is missing between a writer's two renames (or after a crash there), its newest {@code .old-*}
     * sibling. Only the writer, holding the stage lock, may {@link #recover} a folder; a reader that moved the old
     * folder back would make the writer's second rename fail.
     */
    public static Path readable(Path target) {
        Path dest = target.toAbsolutePath().normalize();
        Path parent = dest.getParent();
        if (Files.exists(dest) || parent == null || !Files.isDirectory(parent)) {
            return target;
        }
        try {
            List<Path> olds = siblings(parent, "." + dest.getFileName() + ".old-");
            if (olds.isEmpty()) {
                return target;
            }
            olds.sort(Comparator.comparing(AtomicDir::modified).reversed());
            return Files.exists(dest) ? target : olds.get(0);      // the writer may have finished meanwhile
        } catch (IOException e) {
            return target;
        }
    }

    private static List<Path> siblings(Path parent, String prefix) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
            ds.forEach(out::add);
        }
        return out;
    }

    /** The pid in {@code <prefix><pid>-<nanos>}, or -1 when the name does not parse. */
    private static long pidOf(String fileName, String prefix) {
        String rest = fileName.substring(prefix.length());
        int dash = rest.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return Long.MIN_VALUE;
        }
    }
}
