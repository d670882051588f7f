package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.FileOpener;
import rlhf4j.checkpoint.FolderSnapshot;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.stage.pretrain.MicroRun;
import rlhf4j.train.ChildJvm;

/**
 * A checkpoint write that fails — a full disk at any byte, a file-size limit hit by a real run, a
 * folder that cannot be written — leaves the previous checkpoint loadable and bitwise as it was, and
 * the run exits 1 with one line {@code error: cannot write <stage folder>: ...}.
 */
class WriteFailureTest {
    /** Opens real files whose writes all share one budget of {@code limit} bytes, then fail like a full disk. */
    private static final class DiskFull implements FileOpener {
        private final long limit;
        private long written;

        DiskFull(long limit) {
            this.limit = limit;
        }

        @Override
        public WritableByteChannel open(Path file) throws IOException {
            WritableByteChannel real = FileOpener.FILES.open(file);
            return new WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) throws IOException {
                    long room = limit - written;
                    if (src.remaining() > room) {
                        ByteBuffer part = src.duplicate();
                        part.limit(part.position() + (int) Math.max(0, room));
                        int n = real.write(part);
                        src.position(src.position() + n);
                        written += n;
                        throw new IOException("No space left on device");
                    }
                    int n = real.write(src);
                    written += n;
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return real.isOpen();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }
    }

    private static void assertOneLineWriteError(int code, String err, Path dir, String reason) {
        assertEquals(Train.FAILED, code, err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, err);
        assertTrue(lines[0].startsWith("error: cannot write " + dir.toAbsolutePath().normalize() + ": "), err);
        assertTrue(lines[0].contains(reason), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
    }

    private static void assertNoTempLeft(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir.getParent())) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
            assertEquals(List.of(), left);
        }
    }

    private static MicroRun stoppedAt4(Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.pretrain("--stop-at-step", "4");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    @Test
    void diskFullAtAnyByteLeavesThePreviousCheckpoint(@TempDir Path tmp) throws IOException {
        MicroRun run = stoppedAt4(tmp);
        Path dir = run.stageDir("micro");
        Map<String, String> before = FolderSnapshot.of(dir);
        StageCheckpoint.Loaded old = StageCheckpoint.load(dir);
        LinkedHashMap<String, INDArray> changed = new LinkedHashMap<>();
        old.params().forEach((k, v) -> changed.put(k, v.dup().addi(1)));
        StageCheckpoint.Contents next = new StageCheckpoint.Contents("pretrain", old.spec(), changed, old.tokenizer(),
                Map.of("step", 99), old.optimizer());

        DiskFull unlimited = new DiskFull(Long.MAX_VALUE);
        StageCheckpoint.save(tmp.resolve("sizing/pretrain"), next, unlimited);
        long total = unlimited.written;
        assertTrue(total > 1000, "a checkpoint of " + total + " bytes");

        for (long n : new long[] {0, 1, 8, 200, total / 2, total - 1}) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> StageCheckpoint.save(dir, next, new DiskFull(n)), "full after " + n + " bytes");
            StringWriter err = new StringWriter();
            int code = Train.report(e, new PrintWriter(err, true), false);
            assertOneLineWriteError(code, err.toString(), dir, "No space left on device");
            assertEquals(before, FolderSnapshot.of(dir), "full after " + n + " bytes");
            assertNoTempLeft(dir);
        }
        StageCheckpoint.Loaded still = StageCheckpoint.load(dir);
        assertEquals(4, still.trainerState().path("step").asInt());
        for (String name : old.params().keySet()) {
            assertArrayEquals(old.params().get(name).data().asFloat(), still.params().get(name).data().asFloat(), 0f);
        }
        // and the same save with room to spare goes through
        StageCheckpoint.save(dir, next, new DiskFull(Long.MAX_VALUE));
        assertEquals(99, StageCheckpoint.load(dir).trainerState().path("step").asInt());
    }

    @Test
    void aRealRunHittingAFileSizeLimitExits1AndKeepsTheCheckpoint(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(new File("/bin/bash").canExecute() && System.getProperty("os.name").contains("Linux"),
                "needs bash and Linux (ulimit -f)");
        MicroRun run = stoppedAt4(tmp);
        Path dir = run.stageDir("micro");
        Map<String, String> before = FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES);
        assertTrue(Files.size(dir.resolve(StageCheckpoint.MODEL)) > 16 * 1024, "the model file exceeds the limit");

        // a child JVM whose files may not grow past 16 KiB: the first checkpoint of the resumed run fails
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", "ulimit -f 16 && exec \"$@\"", "limited"));
        cmd.addAll(ChildJvm.command("512m", Train.class, "pretrain", "--config", run.config.toString(), "--resume"));
        Path errFile = tmp.resolve("child.err");
        Process p = ChildJvm.withEnv(new ProcessBuilder(cmd)).redirectOutput(tmp.resolve("child.out").toFile())
                .redirectError(errFile.toFile()).start();
        int code = p.waitFor();
        String err = ChildJvm.withoutJvmNotice(Files.readString(errFile, StandardCharsets.UTF_8));
        assertOneLineWriteError(code, err, dir, "File too large");
        assertEquals(before, FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES));
        assertEquals(4, StageCheckpoint.load(dir).trainerState().path("step").asInt());
        assertNoTempLeft(dir);

        MicroRun.Result resumed = run.pretrain("--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(12, StageCheckpoint.load(dir).trainerState().path("step").asInt());
    }

    @Test
    void anUnwritableRunFolderExits1AndKeepsTheCheckpoint(@TempDir Path tmp) throws IOException {
        MicroRun run = stoppedAt4(tmp);
        Path dir = run.stageDir("micro");
        Map<String, String> before = FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES);
        File parent = dir.getParent().toFile();
        assertTrue(parent.setWritable(false, false));
        try {
            Path probe = dir.getParent().resolve(".probe");
            boolean enforced;
            try {
                Files.createFile(probe);
                Files.delete(probe);
                enforced = false;
            } catch (IOException expected) {
                enforced = true;
            }
            if (enforced) {
                MicroRun.Result r = run.pretrain("--resume");
                assertOneLineWriteError(r.code(), r.err(), dir, "permission denied");
            } else {
                // root ignores folder permissions: the same run, in a mount namespace where the run folder is
                // mounted read-only (what CI, running as root, gets)
                Path runDir = dir.getParent().toAbsolutePath();
                List<String> java = ChildJvm.command("512m", Train.class, "pretrain", "--config", run.config.toString(),
                        "--resume");
                String script = "mount --bind '" + runDir + "' '" + runDir + "' && mount -o remount,bind,ro '" + runDir
                        + "' '" + runDir + "' && exec \"$@\"";
                List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "bash", "-c", script, "child"));
                cmd.addAll(java);
                Process p;
                try {
                    p = ChildJvm.withEnv(new ProcessBuilder(cmd)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start();
                } catch (IOException noUnshare) {
                    Assumptions.abort("folder permissions are not enforced and unshare is missing: " + noUnshare);
                    return;
                }
                String err = ChildJvm.withoutJvmNotice(new String(p.getErrorStream().readAllBytes(),
                        StandardCharsets.UTF_8));
                try {
                    p.waitFor();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                Assumptions.assumeFalse(err.startsWith("mount:") || err.startsWith("unshare:"),
                        "no mount namespace here: " + err);
                assertEquals(Train.FAILED, p.exitValue(), err);     // a read-only mount refuses the lock file first
                assertEquals(1, err.strip().lines().count(), err);
                assertTrue(err.startsWith("error: cannot ") && err.contains(runDir.toString())
                        && err.contains("Read-only file system"), err);
                assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
            }
        } finally {
            parent.setWritable(true, false);
        }
        assertEquals(before, FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES));
        assertEquals(4, StageCheckpoint.load(dir).trainerState().path("step").asInt());
        MicroRun.Result resumed = run.pretrain("--resume");
        assertEquals(0, resumed.code(), resumed.err());
    }
}
