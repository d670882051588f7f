package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.StageCheckpoint;

/**
 * Between a writer's two renames the stage folder is missing and its last checkpoint sits in {@code .<stage>.old-PID}.
 * A reader then reads that old folder where it is and moves nothing (moving it back made the writer's second rename
 * fail); the next holder of the stage lock repairs a save that a crash left there.
 */
class ReaderDuringSaveTest {
    @Test
    void readersReadTheOldFolderInPlaceAndOnlyTheLockHolderRepairs(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--stop-at-step", "4").code());
        Path dir = run.stageDir("micro");
        Path old = dir.resolveSibling(".pretrain.old-999999");
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);                  // a writer between its renames

        assertTrue(StageCheckpoint.exists(dir), "the reader finds the last checkpoint");
        assertEquals(4, StageCheckpoint.load(dir).trainerState().path("step").asInt());
        MicroRun.Result sample = run.train("sample", "--checkpoint", dir.toString(), "--prompt", "The",
                "--max-new-tokens", "4");
        assertEquals(0, sample.code(), sample.err());
        assertFalse(Files.exists(dir), "no reader moved the folder back");
        assertTrue(Files.isDirectory(old));

        MicroRun.Result resumed = run.pretrain("--resume");                    // the lock holder repairs, then trains
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(12, StageCheckpoint.load(dir).trainerState().path("step").asInt());
        assertFalse(Files.exists(old));
    }
}
