package rlhf4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.config.ConfigException;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * One writer per stage folder: a second job on the same folder (same JVM or another process) is
 * refused with exit 2 naming the holder's pid; a lock left by a dead process is taken over; the
 * lock is released when a job ends, however it ends.
 */
class StageLockTest {
    /** A child JVM holding (or refused) the lock of {@code stageDir}, and its first output line. */
    private record Child(Process process, String firstLine) {}

    private static Child child(Path stageDir) throws IOException {
        Process p = ChildJvm.builder("64m", StageLockHolder.class, stageDir.toString(), "300")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();          // blocks until the child has locked, been refused, or died
        return new Child(p, line);
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor();
    }

    @Test
    void lockFileIsASiblingOfTheStageFolder(@TempDir Path tmp) {
        Path dir = tmp.resolve("ckpt/run/pretrain");
        assertEquals(tmp.resolve("ckpt/run/.pretrain.lock").toAbsolutePath(), StageLock.lockFile(dir));
        try (StageLock lock = StageLock.acquire(dir)) {
            assertEquals(dir, lock.dir());
            assertTrue(Files.isRegularFile(lock.file()));
        }
    }

    @Test
    void secondAcquireInThisProcessIsRefusedNamingTheHolder(@TempDir Path tmp) throws Exception {
        MicroRun run = new MicroRun(tmp);
        Path dir = run.stageDir("micro");
        long self = ProcessHandle.current().pid();
        try (StageLock held = StageLock.acquire(dir)) {
            ConfigException e = assertThrows(ConfigException.class, () -> StageLock.acquire(dir));
            assertTrue(e.getMessage().contains("pid " + self) && e.getMessage().contains(dir.toString()),
                    e.getMessage());
            MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=3");
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().contains("pid " + self), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            // the refused attempts did not drop the OS lock (closing any descriptor of the file would)
            Child other = child(dir);
            try {
                assertTrue(other.firstLine() != null && other.firstLine().startsWith("refused: ")
                        && other.firstLine().contains("pid " + self), String.valueOf(other.firstLine()));
                assertEquals(2, other.process().waitFor());
            } finally {
                kill(other.process());
            }
        }
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=3");
        assertEquals(0, r.code(), r.err());
        try (StageLock again = StageLock.acquire(dir)) {
            assertTrue(Files.readString(again.file()).contains("pid " + self));
        }
    }

    @Test
    void aLockLeftByADeadProcessIsTakenOver(@TempDir Path tmp) throws Exception {
        Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-version").redirectErrorStream(true).redirectOutput(tmp.resolve("v.log").toFile()).start();
        gone.waitFor();
        long dead = gone.pid();
        assertFalse(ProcessHandle.of(dead).isPresent() && ProcessHandle.of(dead).get().isAlive());
        Path dir = tmp.resolve("ckpt/run/sft");
        Files.createDirectories(dir.getParent());
        Files.writeString(StageLock.lockFile(dir), "pid " + dead + " on elsewhere since 2020-01-01T00:00:00Z\n");
        try (StageLock lock = StageLock.acquire(dir)) {
            String text = Files.readString(lock.file());
            assertTrue(text.startsWith("pid " + ProcessHandle.current().pid() + " on "), text);
        }
        assertEquals("released\n", Files.readString(StageLock.lockFile(dir)));
    }

    @Test
    void anotherProcessHoldingTheLockMakesTheRunExit2UntilItIsKilled(@TempDir Path tmp) throws Exception {
        MicroRun run = new MicroRun(tmp);
        Path dir = run.stageDir("micro");
        Child holder = child(dir);
        try {
            assertEquals("locked", holder.firstLine());
            MicroRun.Result refused = run.pretrain("--set", "pretrain.max_steps=3");
            assertEquals(2, refused.code(), refused.err());
            assertTrue(refused.err().startsWith("error: ") && refused.err().contains("pid " + holder.process().pid())
                    && refused.err().contains("another process"), refused.err());
            assertEquals(1, refused.err().strip().split("\n").length, refused.err());
            assertFalse(Files.exists(dir.resolve("model.safetensors")));
        } finally {
            kill(holder.process());
        }
        // SIGKILL left the lock file naming the dead holder: the OS lock died with it, the run proceeds
        assertTrue(Files.readString(StageLock.lockFile(dir)).contains("pid " + holder.process().pid()));
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=3");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    }

    @Test
    void aJobThatFailsReleasesItsLock(@TempDir Path tmp) throws Exception {
        MicroRun run = new MicroRun(tmp);
        assertEquals(2, run.pretrain("--resume").code());                                   // fails in prepare
        Path bad = Files.writeString(tmp.resolve("empty.txt"), "");
        assertEquals(3, run.pretrain("--set", "pretrain.data.train=" + bad).code());       // fails in the job
        try (StageLock lock = StageLock.acquire(run.stageDir("micro"))) {
            assertTrue(Files.isRegularFile(lock.file()));
        }
    }
}
