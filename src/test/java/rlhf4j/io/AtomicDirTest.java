package rlhf4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.AtomicDir;
import rlhf4j.io.AtomicFile;

class AtomicDirTest {
    @TempDir
    Path parent;

    /** Relative path -> content of every file under {@code root}. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readString(p));
            }
        }
        return out;
    }

    private List<String> siblings() throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void fill(Path dir, String tag) throws IOException {
        Files.writeString(dir.resolve("model.txt"), "weights " + tag);
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/state.json"), "{\"tag\":\"" + tag + "\"}");
    }

    @Test
    void createsThenReplacesTheFolder() throws Exception {
        Path target = parent.resolve("sft");
        AtomicDir.write(target, tmp -> fill(tmp, "one"));
        assertEquals(Map.of("model.txt", "weights one", "sub/state.json", "{\"tag\":\"one\"}"), snapshot(target));
        Files.writeString(target.resolve("stale.txt"), "from the old folder");
        AtomicDir.write(target, tmp -> fill(tmp, "two"));
        assertEquals(Map.of("model.txt", "weights two", "sub/state.json", "{\"tag\":\"two\"}"), snapshot(target));
        assertEquals(List.of("sft"), siblings());
    }

    @Test
    void failingWriterLeavesTheOldFolderUntouched() throws Exception {
        Path target = parent.resolve("rm");
        AtomicDir.write(target, tmp -> fill(tmp, "good"));
        Map<String, String> before = snapshot(target);
        byte[] modelBefore = Files.readAllBytes(target.resolve("model.txt"));

        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> AtomicDir.write(target, tmp -> {
            fill(tmp, "half");
            throw boom;
        })));
        UncheckedIOException io = assertThrows(UncheckedIOException.class, () -> AtomicDir.write(target, tmp -> {
            Files.writeString(tmp.resolve("model.txt"), "partial");
            throw new IOException("disk full");
        }));
        assertTrue(io.getMessage().contains(target.toString()), io.getMessage());
        assertTrue(io.getMessage().contains("disk full"), io.getMessage());

        assertEquals(before, snapshot(target));
        assertArrayEquals(modelBefore, Files.readAllBytes(target.resolve("model.txt")));
        assertEquals(List.of("rm"), siblings());
    }

    @Test
    void failureWithoutAnOldFolderLeavesNothing() {
        Path target = parent.resolve("ppo");
        assertThrows(UncheckedIOException.class, () -> AtomicDir.write(target, tmp -> {
            throw new IOException("nope");
        }));
        assertFalse(Files.exists(target));
        assertEquals(0, parent.toFile().list().length);
    }

    @Test
    void recoverAfterCrashBetweenRenames() throws Exception {
        Path target = parent.resolve("pretrain");
        AtomicDir.write(target, tmp -> fill(tmp, "last good"));
        Map<String, String> good = snapshot(target);
        long dead = deadPid();
        // simulate: the new folder was written, the old one renamed away, then the process died
        Files.move(target, parent.resolve(".pretrain.old-" + dead));
        Path tmp = parent.resolve(".pretrain.tmp-" + dead + "-123456");
        Files.createDirectory(tmp);
        fill(tmp, "new");
        Files.writeString(parent.resolve("other.txt"), "unrelated");

        assertEquals(target, AtomicDir.recover(target));
        assertEquals(good, snapshot(target));
        assertEquals(List.of("other.txt", "pretrain"), siblings());
        assertEquals(target, AtomicDir.recover(target)); // idempotent
        assertEquals(good, snapshot(target));
    }

    @Test
    void recoverDeletesLeftoversWhenTheTargetIsPresent() throws Exception {
        Path target = parent.resolve("sft");
        AtomicDir.write(target, tmp -> fill(tmp, "current"));
        long dead = deadPid();
        Files.createDirectory(parent.resolve(".sft.old-" + dead));
        Files.createDirectory(parent.resolve(".sft.tmp-" + dead + "-1"));
        Files.writeString(parent.resolve(".sft.tmp-" + dead + "-1/x"), "x");
        AtomicDir.recover(target);
        assertEquals(List.of("sft"), siblings());
        assertEquals("weights current", Files.readString(target.resolve("model.txt")));
        AtomicDir.recover(parent.resolve("missing")); // nothing to do
        assertFalse(Files.exists(parent.resolve("missing")));
    }

    @Test
    void atomicFileReplacesContent() throws Exception {
        Path f = parent.resolve("trainer_state.json");
        AtomicFile.write(f, "{\"step\":1}".getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(f, "{\"step\":2}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"step\":2}", Files.readString(f));
        assertEquals(List.of("trainer_state.json"), siblings());
    }

    private static long deadPid() {
        for (long pid = 4_000_000; ; pid--) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return pid;
            }
        }
    }
}
