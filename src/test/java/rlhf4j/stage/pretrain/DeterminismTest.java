package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.train.MetricsRows;

/**
 * The same micro pretraining twice with the same seed (two run names) gives the same bytes: weights,
 * optimizer state, tokenizer, samples, and metrics.csv apart from its timing columns; another seed
 * gives other weights.
 */
class DeterminismTest {
    @Test
    void sameSeedSameBytes(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        for (String name : List.of("a", "b")) {
            MicroRun.Result r = run.pretrain("--set", "run.name=" + name);
            assertEquals(0, r.code(), r.err());
        }
        Path a = run.stageDir("a");
        Path b = run.stageDir("b");
        for (String file : List.of(StageCheckpoint.MODEL, StageCheckpoint.OPTIMIZER, StageCheckpoint.TOKENIZER,
                StageCheckpoint.CONFIG, StageCheckpoint.SAMPLES)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), file);
        }
        List<Map<String, String>> rowsA = MetricsRows.withoutTiming(a.resolve(StageCheckpoint.METRICS));
        assertEquals(12, rowsA.size());
        assertTrue(rowsA.get(0).containsKey("loss") && !rowsA.get(0).containsKey("elapsed_s")
                && !rowsA.get(0).containsKey("tokens_per_s"), rowsA.get(0).toString());
        assertEquals(rowsA, MetricsRows.withoutTiming(b.resolve(StageCheckpoint.METRICS)));
        assertEquals(stateWithoutTimeAndName(a), stateWithoutTimeAndName(b));

        MicroRun.Result other = run.pretrain("--set", "run.name=c", "--set", "run.seed=8");
        assertEquals(0, other.code(), other.err());
        assertFalse(Arrays.equals(Files.readAllBytes(a.resolve(StageCheckpoint.MODEL)),
                Files.readAllBytes(run.stageDir("c").resolve(StageCheckpoint.MODEL))), "the seed matters");
    }

    /** trainer_state.json without the elapsed time and the config snapshot (which holds the run name). */
    private static ObjectNode stateWithoutTimeAndName(Path dir) throws IOException {
        ObjectNode state = (ObjectNode) Json.readTree(dir.resolve(StageCheckpoint.TRAINER_STATE));
        state.remove("elapsed_s");
        ObjectNode config = (ObjectNode) state.get("config");
        ((ObjectNode) config.get("run")).remove("name");
        return state;
    }
}
