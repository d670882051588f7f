package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.checkpoint.SafeTensors;
import rlhf4j.checkpoint.StageCheckpoint;

/**
 * A resumed run checks every field it continues from — the trainer state and the optimizer state — before it writes
 * anything: an edited or damaged value is bad input (exit 3) naming the file and the field, and the checkpoint stays
 * as it was.
 */
class EditedTrainerStateTest {
    @TempDir
    static Path shared;
    private static MicroRun run;
    private static Path stopped;

    @BeforeAll
    static void stoppedRun() throws IOException {
        run = new MicroRun(shared);
        assertEquals(0, run.pretrain("--stop-at-step", "4").code());
        stopped = run.stageDir("micro");
    }

    /** A copy of the stopped run under a new run name, with its trainer state edited by {@code edit}. */
    private static String copyWith(String name, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path dir = run.stageDir(name);
        MicroRun.copyFolder(stopped, dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode state = (ObjectNode) json.readTree(dir.resolve(StageCheckpoint.TRAINER_STATE).toFile());
        edit.accept(state);
        Files.writeString(dir.resolve(StageCheckpoint.TRAINER_STATE), json.writeValueAsString(state));
        return name;
    }

    private static void assertRefused(String name, int code, String... words) throws IOException {
        Map<String, byte[]> before = MicroRun.folderBytes(run.stageDir(name));
        MicroRun.Result r = run.pretrain("--resume", "--set", "run.name=" + name);
        assertEquals(code, r.code(), r.err());
        for (String w : words) {
            assertTrue(r.err().contains(w), "'" + w + "' in: " + r.err());
        }
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        Map<String, byte[]> after = MicroRun.folderBytes(run.stageDir(name));
        assertEquals(before.keySet(), after.keySet());
        before.forEach((f, b) -> assertArrayEquals(b, after.get(f), f + " unchanged"));
    }

    @Test
    void badStepsAreRefusedNamingTheField() throws IOException {
        assertRefused(copyWith("neg", s -> s.put("step", -5)), 3, "trainer_state.json", "step");
        assertRefused(copyWith("huge", s -> s.put("step", 1e12)), 3, "trainer_state.json", "step");
        assertRefused(copyWith("word", s -> s.put("step", "five")), 3, "trainer_state.json", "step");
        assertRefused(copyWith("frac", s -> s.put("step", 2.5)), 3, "trainer_state.json", "step");
        assertRefused(copyWith("none", s -> s.remove("step")), 3, "trainer_state.json", "step");
        assertRefused(copyWith("past", s -> s.put("step", 50)), 2, "pretrain.max_steps");
    }

    @Test
    void badTimesAndSkipCountsAreRefused() throws IOException {
        assertRefused(copyWith("time", s -> s.put("elapsed_s", "soon")), 3, "trainer_state.json", "elapsed_s");
        assertRefused(copyWith("negtime", s -> s.put("elapsed_s", -1)), 3, "elapsed_s");
        assertRefused(copyWith("skip", s -> s.put("skipped_steps", 9)), 3, "skipped_steps");
    }

    @Test
    void aDamagedOptimizerStateIsRefusedNamingTheEntry() throws IOException {
        String name = copyWith("opt", s -> { });
        Path file = run.stageDir(name).resolve(StageCheckpoint.OPTIMIZER);
        Map<String, INDArray> state = new LinkedHashMap<>(StageCheckpoint.readTensors(run.stageDir(name),
                StageCheckpoint.OPTIMIZER));
        state.put("step", Nd4j.scalar(DataType.LONG, 1_000_000L));
        SafeTensors.write(file, state, Map.of());
        assertRefused(name, 3, "optimizer.safetensors", "step");

        String shape = copyWith("shape", s -> { });
        Path file2 = run.stageDir(shape).resolve(StageCheckpoint.OPTIMIZER);
        Map<String, INDArray> state2 = new LinkedHashMap<>(StageCheckpoint.readTensors(run.stageDir(shape),
                StageCheckpoint.OPTIMIZER));
        String key = state2.keySet().stream().filter(k -> k.startsWith("exp_avg_sq.")).findFirst().orElseThrow();
        state2.put(key, Nd4j.zeros(DataType.FLOAT, 3, 5));
        SafeTensors.write(file2, state2, Map.of());
        assertRefused(shape, 3, "optimizer.safetensors", key);
    }

    @Test
    void aChangedSeedOrANegativeStopStepIsAConfigError() throws IOException {
        String name = copyWith("seed", s -> { });
        Map<String, byte[]> before = MicroRun.folderBytes(run.stageDir(name));
        MicroRun.Result r = run.pretrain("--resume", "--set", "run.name=" + name, "--set", "run.seed=8");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("run.seed") && r.err().contains("7"), r.err());
        Map<String, byte[]> after = MicroRun.folderBytes(run.stageDir(name));
        before.forEach((f, b) -> assertArrayEquals(b, after.get(f), f + " unchanged"));
        assertRefused(copyWith("noseed", s -> s.remove("seed")), 3, "trainer_state.json", "seed");
        MicroRun.Result accepted = run.pretrain("--resume", "--set", "run.name=" + name, "--set", "run.seed=8",
                "--accept-changes");
        assertEquals(0, accepted.code(), accepted.err());

        MicroRun.Result stop = run.pretrain("--set", "run.name=neg-stop", "--stop-at-step", "-1");
        assertEquals(2, stop.code(), stop.err());
        assertTrue(stop.err().contains("--stop-at-step"), stop.err());
    }

    @Test
    void resumingOnChangedDataIsRefused(@TempDir Path own) throws IOException {
        MicroRun other = new MicroRun(own);
        assertEquals(0, other.pretrain("--stop-at-step", "4").code());
        Path dir = other.stageDir("micro");
        assertTrue(Files.readString(dir.resolve(StageCheckpoint.TRAINER_STATE)).contains("data_sha256"));
        Files.writeString(other.corpus, Files.readString(other.corpus) + "\nA sentence that was not there before.\n");
        MicroRun.Result r = other.pretrain("--resume");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("pretrain.data.train") && r.err().contains("--overwrite"), r.err());
        MicroRun.Result accepted = other.pretrain("--resume", "--accept-changes");
        assertEquals(0, accepted.code(), accepted.err());
    }

    @Test
    void resumingAFinishedRunSaysSoWithItsLastNumbers(@TempDir Path own) throws IOException {
        MicroRun other = new MicroRun(own);
        assertEquals(0, other.pretrain().code());
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        MicroRun.Result r;
        try {
            System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            r = other.pretrain("--resume");
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, r.code(), r.err());
        assertTrue(out.contains("already finished: step 12 of 12, nothing to train"), out);
        assertFalse(out.contains("NaN"), out);
    }

    @Test
    void anUneditedStateResumes() throws IOException {
        MicroRun.Result r = run.pretrain("--resume", "--set", "run.name=" + copyWith("fine", s -> { }));
        assertEquals(0, r.code(), r.err());
    }
}
