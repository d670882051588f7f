package rlhf4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import rlhf4j.config.ConfigException;

/**
 * One writer per stage folder: an exclusive OS file lock ({@link FileChannel#tryLock}) on a sibling
 * file {@code <out_dir>/<run>/.<stage>.lock}; a sibling because checkpoints replace the stage folder
 * itself by rename. The file holds the holder's pid, host and start time, so a refused second
 * writer can name it. The OS drops the lock when its process dies (even by SIGKILL), so a lock file
 * left behind by a killed run is simply taken over; the file itself is never deleted (deleting it
 * would let two processes lock two different files of the same name).
 *
 * <p>POSIX record locks belong to the process, and closing <em>any</em> descriptor of the file in
 * the holding process silently drops them. So this JVM must never open the lock file a second time
 * while it holds it: {@link #HELD} records the lock files held by this process and is consulted
 * before the file is opened. It is the one piece of process-wide state here, mirroring the OS's own
 * per-process lock table; entries live exactly as long as the lock.
 *
 * <p>Use: {@code try (StageLock lock = StageDir.prepare(...)) { ... lock.dir() ... }}.
 */
public final class StageLock implements AutoCloseable {
    /** Lock files held by this process, by absolute path, with the holder line written into them. */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private StageLock(Path dir, Path file, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock file guarding {@code stageDir}: {@code .<stage>.lock} next to it. */
    public static Path lockFile(Path stageDir) {
        Path abs = stageDir.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + ".lock");
    }

    /**
     * Takes the lock of {@code stageDir} (creating its parent folder) or throws a
     * {@link ConfigException} naming the process that holds it.
     */
    public static StageLock acquire(Path stageDir) {
        Path file = lockFile(stageDir);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        String holder = holderLine();
        String mine = HELD.putIfAbsent(file, holder);
        if (mine != null) {
            throw busy(stageDir, file, "this process (" + mine + ")");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                // locked through another channel of this JVM, outside this class: leave this channel open,
                // since closing it now would drop that lock (POSIX), and report it
                ch = null;
                throw busy(stageDir, file, "this process (pid " + ProcessHandle.current().pid() + ")");
            }
            if (lock == null) {
                String other = readHolder(file);
                ch.close();
                ch = null;
                throw busy(stageDir, file, "another process (" + other + ")");
            }
            ch.truncate(0);
            ByteBuffer buf = ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf, ch.size());
            }
            ch.force(true);
            return new StageLock(stageDir, file, ch, lock);
        } catch (IOException e) {
            HELD.remove(file);
            closeQuietly(ch);
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            HELD.remove(file);
            closeQuietly(ch);
            throw e;
        }
    }

    /** The stage folder this lock guards. */
    public Path dir() {
        return dir;
    }

    /** The lock file, {@code .<stage>.lock} next to the stage folder. */
    public Path file() {
        return file;
    }

    /** Releases the lock (idempotent). The file stays, marked released. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap("released\n".getBytes(StandardCharsets.UTF_8)), 0);
            lock.release();
        } catch (IOException e) {
            // the lock dies with the channel below in any case
        } finally {
            closeQuietly(channel);
            HELD.remove(file);
        }
    }

    /** {@code pid N on HOST since ISO-INSTANT}: who holds a lock, as written into the file. */
    static String holderLine() {
        return "pid " + ProcessHandle.current().pid() + " on " + hostName() + " since "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    /** The holder line of a lock file held by another process (reading it cannot disturb that lock). */
    private static String readHolder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            int nl = text.indexOf('\n');
            text = nl < 0 ? text : text.substring(0, nl);
            return text.isEmpty() || text.equals("released") ? "holder not recorded yet" : text;
        } catch (NoSuchFileException e) {
            return "holder unknown";
        } catch (IOException | RuntimeException e) {
            return "holder unreadable: " + e.getMessage();
        }
    }

    private static ConfigException busy(Path stageDir, Path file, String who) {
        return new ConfigException(stageDir + " is in use by " + who + ": one writer per stage folder (lock "
                + file + "); wait for that run to finish or stop it, or use --set run.name=NEW");
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
