package rlhf4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.checkpoint.FolderSnapshot;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.LrSchedule;
import rlhf4j.stage.pretrain.MicroRun;

/**
 * NaN and infinity: a non-finite loss or gradient stops the run with a message naming the step and
 * leaves the last checkpoint as it was; with {@code skip_nonfinite} the update is skipped, counted in
 * the {@code skipped} column of metrics.csv, and the count survives a resume.
 */
class NonFiniteTest {
    /** A one-tensor task whose loss (or gradient) is non-finite at the given 1-based steps. */
    private static final class Poisoned implements TrainingTask {
        final Map<String, INDArray> params;
        final Set<Integer> badSteps;
        final boolean badGradient;
        final List<float[]> seen = new ArrayList<>();       // the parameters each step started from

        Poisoned(Map<String, INDArray> params, Set<Integer> badSteps, boolean badGradient) {
            this.params = params;
            this.badSteps = badSteps;
            this.badGradient = badGradient;
        }

        @Override
        public MicroStep microStep(int step, int micro) {
            seen.add(params.get("w").dup().data().asFloat());
            boolean bad = badSteps.contains(step + 1);
            INDArray g = Nd4j.valueArrayOf(new long[] {4}, bad && badGradient ? Float.POSITIVE_INFINITY : 0.5f,
                    DataType.FLOAT);
            return new MicroStep(bad && !badGradient ? Double.NaN : 1.0 / (step + 1), Map.of("w", g), 10);
        }

        @Override
        public Map<String, Double> evaluate(int step) {
            return Map.of();
        }

        @Override
        public List<String> samples(int step) {
            return List.of();
        }
    }

    private static Trainer trainer(Path dir, Poisoned task, boolean skip, Map<String, INDArray> params) {
        Trainer.Settings s = new Trainer.Settings(6, 1, 1.0, 100, 2, 1, skip, new LrSchedule(0.1, 0.01, 1, 6), 0);
        MetricsCsv csv = MetricsCsv.open(dir.resolve("metrics.csv"), Trainer.BASE_COLUMNS, -1);
        Progress progress = new Progress("test", 0, 6, 1, new PrintStream(new ByteArrayOutputStream(), true));
        return new Trainer(s, params, new AdamW(0.9, 0.95, 1e-8, 0.0, name -> false), task, csv,
                () -> dir.resolve("samples.txt"), progress);
    }

    private static Map<String, INDArray> params() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("w", Nd4j.ones(DataType.FLOAT, 4));
        return p;
    }

    private static List<CSVRecord> metrics(Path file) throws IOException {
        try (CSVParser p = CSVParser.parse(file, StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return new ArrayList<>(p.getRecords());
        }
    }

    @Test
    void aNanLossStopsAtItsStepAfterTheLastCheckpoint(@TempDir Path tmp) throws IOException {
        Map<String, INDArray> params = params();
        Poisoned task = new Poisoned(params, Set.of(5), false);
        List<Integer> saved = new ArrayList<>();
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> trainer(tmp, task, false, params).run(0, 0, (step, last) -> saved.add(step)));
        assertTrue(e.getMessage().startsWith("step 5: loss is NaN"), e.getMessage());
        assertEquals(List.of(2, 4), saved);
        assertEquals(4, metrics(tmp.resolve("metrics.csv")).size());
        assertArrayEquals(task.seen.get(4), params.get("w").data().asFloat(), 0f, "the bad step changed nothing");
    }

    @Test
    void anInfiniteGradientStopsToo(@TempDir Path tmp) {
        Map<String, INDArray> params = params();
        Poisoned task = new Poisoned(params, Set.of(3), true);
        List<Integer> saved = new ArrayList<>();
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> trainer(tmp, task, false, params).run(0, 0, (step, last) -> saved.add(step)));
        assertTrue(e.getMessage().startsWith("step 3: gradient norm is"), e.getMessage());
        assertEquals(List.of(2), saved);
    }

    @Test
    void skipNonfiniteSkipsTheUpdateAndCountsIt(@TempDir Path tmp) throws IOException {
        Map<String, INDArray> params = params();
        Poisoned task = new Poisoned(params, Set.of(3, 5), false);
        List<Integer> saved = new ArrayList<>();
        Trainer t = trainer(tmp, task, true, params);
        Trainer.Summary summary = t.run(0, 0, (step, last) -> saved.add(step));
        assertEquals(2, summary.skippedSteps());
        assertEquals(2, t.skippedSteps());
        assertEquals(List.of(2, 4, 6), saved);
        List<String> skipped = metrics(tmp.resolve("metrics.csv")).stream().map(r -> r.get("skipped")).toList();
        assertEquals(List.of("0", "0", "1", "1", "2", "2"), skipped);
        // the parameters step 4 starts from are those step 3 started from: its update was skipped
        assertArrayEquals(task.seen.get(2), task.seen.get(3), 0f);
        assertFalse(java.util.Arrays.equals(task.seen.get(1), task.seen.get(2)), "good steps do update");
    }

    @Test
    void theSkippedCountIsCarriedAcrossAResume(@TempDir Path tmp) throws IOException {
        Map<String, INDArray> params = params();
        Trainer t = trainer(tmp, new Poisoned(params, Set.of(3, 6), true), true, params);
        Trainer.Summary summary = t.run(4, 0, 1, (step, last) -> { });       // resumed at step 4, one skipped before
        assertEquals(2, summary.skippedSteps());
        assertEquals(List.of("1", "2"), metrics(tmp.resolve("metrics.csv")).stream().map(r -> r.get("skipped")).toList());
    }

    @Test
    void divergenceInARealRunNamesTheStepAndKeepsTheCheckpoint(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        assertEquals(0, run.pretrain("--stop-at-step", "4").code());
        Path dir = run.stageDir("micro");
        Map<String, String> before = FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES);
        MicroRun.Result r = run.pretrain("--resume", "--set", "pretrain.learning_rate=1e30");
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        Matcher m = Pattern.compile("^error: step (\\d+): (loss|gradient norm) is (NaN|-?Infinity); stopped")
                .matcher(r.err());
        assertTrue(m.find(), r.err());
        assertTrue(Integer.parseInt(m.group(1)) > 4 && Integer.parseInt(m.group(1)) < 8, r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
        assertEquals(before, FolderSnapshot.of(dir, FolderSnapshot.CHECKPOINT_FILES));
        assertEquals(4, StageCheckpoint.load(dir).trainerState().path("step").asInt());
    }

    @Test
    void divergenceWithSkipNonfiniteFinishesAndResumesWithTheSameCounts(@TempDir Path tmp) throws IOException {
        MicroRun run = new MicroRun(tmp);
        String[] diverge = {"--set", "pretrain.learning_rate=1e30", "--set", "pretrain.skip_nonfinite=true"};
        MicroRun.Result whole = run.pretrain(concat(diverge, "--set", "run.name=whole"));
        assertEquals(0, whole.code(), whole.err());
        List<CSVRecord> rows = metrics(run.stageDir("whole").resolve("metrics.csv"));
        assertEquals(12, rows.size());
        int last = Integer.parseInt(rows.get(11).get("skipped"));
        assertTrue(last > 0, "divergence was skipped, not trained on");
        for (int i = 1; i < rows.size(); i++) {
            int grew = Integer.parseInt(rows.get(i).get("skipped")) - Integer.parseInt(rows.get(i - 1).get("skipped"));
            assertEquals(Double.isFinite(Double.parseDouble(rows.get(i).get("loss"))) ? 0 : 1, grew, "row " + (i + 1));
        }
        assertEquals(last, StageCheckpoint.load(run.stageDir("whole")).trainerState().path("skipped_steps").asInt());

        assertEquals(0, run.pretrain(concat(diverge, "--set", "run.name=split", "--stop-at-step", "6")).code());
        MicroRun.Result resumed = run.pretrain(concat(diverge, "--set", "run.name=split", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(rows.stream().map(r -> r.get("skipped")).toList(),
                metrics(run.stageDir("split").resolve("metrics.csv")).stream().map(r -> r.get("skipped")).toList());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
