package rlhf4j.stage.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.checkpoint.StageCheckpoint;

/** A micro pretraining run end to end through the CLI: loss falls, files exist, resume is bitwise exact. */
class PretrainJobTest {
    private static List<CSVRecord> metrics(Path dir) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve(StageCheckpoint.METRICS), java.nio.charset.StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    @Test
    void microRunTrainsAndWritesTheStageFolder(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=30", "--set", "pretrain.eval_every=10");
        assertEquals(0, r.code(), r.err());
        Path dir = run.stageDir("micro");
        for (String f : List.of("model.safetensors", "config.json", "tokenizer.json", "trainer_state.json",
                "optimizer.safetensors", "metrics.csv", "samples.txt")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        List<CSVRecord> rows = metrics(dir);
        assertEquals(30, rows.size());
        assertEquals("step", rows.get(0).getParser().getHeaderNames().get(0));
        double first = Double.parseDouble(rows.get(0).get("loss"));
        double last = Double.parseDouble(rows.get(29).get("loss"));
        assertTrue(last < first - 0.5, "loss falls: " + first + " -> " + last);
        double firstVal = Double.parseDouble(rows.get(9).get("val_loss"));
        double lastVal = Double.parseDouble(rows.get(29).get("val_loss"));
        assertTrue(lastVal < firstVal, "val loss falls: " + firstVal + " -> " + lastVal);
        assertTrue(Double.parseDouble(rows.get(29).get("val_bpb")) > 0);
        assertTrue(Files.readString(dir.resolve("samples.txt")).contains("=== step 30 ==="));
        StageCheckpoint.Loaded loaded = StageCheckpoint.load(dir);
        assertEquals("pretrain", loaded.stage());
        assertEquals(30, loaded.trainerState().get("step").asInt());
    }

    @Test
    void resumeIsBitwiseIdenticalToAnUninterruptedRun(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "run.name=straight").code());
        MicroRun.Result stopped = run.pretrain("--set", "run.name=resumed", "--stop-at-step", "5");
        assertEquals(0, stopped.code(), stopped.err());
        assertEquals(5, StageCheckpoint.load(run.stageDir("resumed")).trainerState().get("step").asInt());
        MicroRun.Result resumed = run.pretrain("--set", "run.name=resumed", "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(run.stageDir("straight").resolve("model.safetensors")),
                Files.readAllBytes(run.stageDir("resumed").resolve("model.safetensors")), "weights");
        assertArrayEquals(Files.readAllBytes(run.stageDir("straight").resolve("optimizer.safetensors")),
                Files.readAllBytes(run.stageDir("resumed").resolve("optimizer.safetensors")), "optimizer moments");
        List<CSVRecord> a = metrics(run.stageDir("straight"));
        List<CSVRecord> b = metrics(run.stageDir("resumed"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String col : List.of("step", "loss", "lr", "grad_norm", "val_loss", "val_bpb")) {
                assertEquals(a.get(i).get(col), b.get(i).get(col), col + " at row " + i);
            }
        }
        assertEquals(Files.readString(run.stageDir("straight").resolve("samples.txt")),
                Files.readString(run.stageDir("resumed").resolve("samples.txt")));
    }

    /**
     * A smoke run, {@code --set pretrain.max_steps=1} alone, under a warmup of 2 and eval and
     * checkpoint cadences longer than the run: it runs, warms up over its one step (the full
     * learning rate at the last step), evaluates and checkpoints at the end.
     */
    @Test
    void aSingleMaxStepsOverrideIsASmokeRun(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        MicroRun.Result r = run.pretrain("--set", "pretrain.max_steps=1");
        assertEquals(0, r.code(), r.err());
        StageCheckpoint.Loaded c = StageCheckpoint.load(run.stageDir("micro"));
        assertTrue(c.trainerState().path("finished").asBoolean());
        assertEquals(1, c.trainerState().path("step").asInt());
        List<java.util.Map<String, String>> rows = rlhf4j.train.MetricsRows.read(run.stageDir("micro").resolve("metrics.csv"));
        assertEquals(1e-2, Double.parseDouble(rows.get(rows.size() - 1).get("lr")), 1e-12, rows.toString());
        assertTrue(rows.stream().anyMatch(row -> !row.get("val_loss").isEmpty()), "evaluated at the end: " + rows);
    }

    @Test
    void sampleCommandContinuesAPrompt(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--set", "pretrain.max_steps=4").code());
        MicroRun.Result r = run.train("sample", "--checkpoint", run.stageDir("micro").toString(), "--prompt", "The river",
                "--max-new-tokens", "5", "--top-k", "20", "--top-p", "0.9", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        MicroRun.Result bad = run.train("sample", "--checkpoint", run.stageDir("micro").toString(), "--prompt", "x",
                "--top-p", "1.5");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: "), bad.err());
    }
}
