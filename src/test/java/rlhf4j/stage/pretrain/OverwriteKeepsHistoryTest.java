package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh run over an existing checkpoint ({@code --overwrite}) replaces the old folder only when it saves its first
 * checkpoint: a run that fails before then leaves every file of the old one, history included, as it was.
 */
class OverwriteKeepsHistoryTest {
    private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, bytes) -> assertArrayEquals(bytes, actual.get(name), name));
    }

    @Test
    void aFailedOverwriteKeepsTheOldFolderWhole(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain().code());
        Path dir = run.stageDir("micro");
        Map<String, byte[]> before = MicroRun.folderBytes(dir);
        assertTrue(before.containsKey("samples.txt") && before.containsKey("metrics.csv"), before.keySet().toString());

        MicroRun.Result failed = run.pretrain("--overwrite", "--set", "model.init_std=1e308");
        assertEquals(1, failed.code(), failed.err());
        assertSameFiles(before, MicroRun.folderBytes(dir));

        MicroRun.Result replaced = run.pretrain("--overwrite", "--set", "pretrain.max_steps=8");
        assertEquals(0, replaced.code(), replaced.err());
        Map<String, byte[]> after = MicroRun.folderBytes(dir);
        assertNotEquals(new String(before.get("metrics.csv")), new String(after.get("metrics.csv")));
        assertTrue(new String(after.get("metrics.csv")).lines().anyMatch(l -> l.startsWith("8,")),
                "the new run's rows");
        assertFalse(new String(after.get("metrics.csv")).lines().anyMatch(l -> l.startsWith("12,")),
                "no row of the old run");
        assertFalse(Files.exists(dir.resolveSibling(".pretrain.live")), "the staging folder is gone");
    }
}
