package rlhf4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.GradAccumulator;
import rlhf4j.optim.GradClip;
import rlhf4j.optim.LrSchedule;

/**
 * The training loop shared by every stage: accumulate micro-batch gradients, clip, AdamW, log to
 * {@code metrics.csv} and the progress bar, evaluate and sample every {@code evalEvery} steps,
 * checkpoint every {@code checkpointEvery} steps and at the end.
 */
public final class Trainer {
    /** The loop's cadence and safety settings. */
    public record Settings(int maxSteps, int gradAccumSteps, double gradClip, int evalEvery, int checkpointEvery,
                           int logEvery, boolean skipNonfinite, LrSchedule schedule, int stopAtStep,
                           Preemption preemption) {
        public Settings(int maxSteps, int gradAccumSteps, double gradClip, int evalEvery, int checkpointEvery,
                        int logEvery, boolean skipNonfinite, LrSchedule schedule, int stopAtStep) {
            this(maxSteps, gradAccumSteps, gradClip, evalEvery, checkpointEvery, logEvery, skipNonfinite, schedule,
                    stopAtStep, Preemption.none());
        }

        /** Same settings, but stop (with a checkpoint) once {@code step} steps are done; 0 = run to the end. */
        public Settings stoppingAt(int step) {
            return new Settings(maxSteps, gradAccumSteps, gradClip, evalEvery, checkpointEvery, logEvery,
                    skipNonfinite, schedule, step, preemption);
        }
    }

    /** Saves a checkpoint after {@code step} completed optimizer steps. */
    public interface Checkpointer {
        void save(int step, boolean last);
    }

    /** How the run ended: the last loss and evaluation, throughput and time. */
    public record Summary(int steps, double lastLoss, Map<String, Double> lastEval, double tokensPerSecond,
                          double seconds, int skippedSteps) {}

    public static final List<String> BASE_COLUMNS = List.of("step", "loss", "lr", "grad_norm", "tokens_per_s",
            "elapsed_s", "skipped");

    private final Settings settings;
    private final Map<String, INDArray> params;
    private final AdamW optimizer;
    private final TrainingTask task;
    private final MetricsCsv metrics;
    private final Supplier<Path> samplesFile;
    private final Progress progress;
    private int skipped;

    public Trainer(Settings settings, Map<String, INDArray> params, AdamW optimizer, TrainingTask task,
                   MetricsCsv metrics, Supplier<Path> samplesFile, Progress progress) {
        this.settings = settings;
        this.params = params;
        this.optimizer = optimizer;
        this.task = task;
        this.metrics = metrics;
        this.samplesFile = samplesFile;
        this.progress = progress;
    }

    /** Runs optimizer steps {@code startStep+1 .. maxSteps}; {@code elapsedBefore} carries time across resumes. */
    public Summary run(int startStep, double elapsedBefore, Checkpointer checkpointer) {
        return run(startStep, elapsedBefore, 0, checkpointer);
    }

    /**
     * As {@link #run(int, double, Checkpointer)}, with {@code skippedBefore} non-finite updates already
     * skipped before {@code startStep} (from the resumed checkpoint), so the {@code skipped} column and
     * {@link #skippedSteps()} count the whole stage.
     */
    public Summary run(int startStep, double elapsedBefore, int skippedBefore, Checkpointer checkpointer) {
        long t0 = System.nanoTime();
        skipped = skippedBefore;
        if (startStep >= settings.maxSteps()) {              // a resumed run that has nothing left to train
            progress.println("already finished: step " + startStep + " of " + settings.maxSteps()
                    + ", nothing to train (raise max_steps to train further)");
            settings.preemption().settled();
            Map<String, Double> lastRow = metrics.lastRow();
            Map<String, Double> lastEval = new LinkedHashMap<>(lastRow);
            BASE_COLUMNS.forEach(lastEval::remove);
            return new Summary(startStep, lastRow.getOrDefault("loss", Double.NaN), lastEval, 0, elapsedBefore,
                    skipped);
        }
        double lastLoss = Double.NaN;
        Map<String, Double> lastEval = Map.of();
        long tokens = 0;
        GradAccumulator accumulator = new GradAccumulator();
        for (int step = startStep; step < settings.maxSteps(); step++) {
            long stepStart = System.nanoTime();
            double lr = settings.schedule().lr(step);
            accumulator.reset();
            double lossSum = 0;
            long stepTokens = 0;
            Map<String, Double> taskMetrics = new LinkedHashMap<>();
            for (int micro = 0; micro < settings.gradAccumSteps(); micro++) {
                TrainingTask.MicroStep ms = task.microStep(step, micro);
                accumulator.add(ms.grads());
                lossSum += ms.loss();
                stepTokens += ms.tokens();
                ms.metrics().forEach((k, v) -> taskMetrics.merge(k, v / settings.gradAccumSteps(), Double::sum));
            }
            double loss = lossSum / settings.gradAccumSteps();
            Map<String, INDArray> grads = accumulator.mean();
            double norm = GradClip.clipGlobalNorm(grads, settings.gradClip());
            int done = step + 1;
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                String what = !Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + norm;
                if (!settings.skipNonfinite()) {
                    throw new NonFiniteException("step " + done + ": " + what
                            + "; stopped, the last checkpoint is kept (lower the learning rate, or set skip_nonfinite)");
                }
                skipped++;
                progress.println("warning: step " + done + ": " + what + ", update skipped");
            } else {
                optimizer.step(params, grads, lr);
            }
            tokens += stepTokens;
            lastLoss = loss;
            double stepSeconds = (System.nanoTime() - stepStart) / 1e9;
            double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
            Map<String, Number> row = new LinkedHashMap<>();
            row.put("step", done);
            row.put("loss", loss);
            row.put("lr", lr);
            row.put("grad_norm", norm);
            row.put("tokens_per_s", stepTokens / stepSeconds);
            row.put("elapsed_s", elapsed);
            row.put("skipped", skipped);
            row.putAll(taskMetrics);
            boolean evalNow = done % settings.evalEvery() == 0 || done == settings.maxSteps();
            if (evalNow) {
                lastEval = task.evaluate(done);
                row.putAll(lastEval);
                progress.println(String.format("step %d: loss %.4f, %s", done, loss, formatEval(lastEval)));
                appendSamples(samplesFile.get(), done, task.samples(done), progress);
            }
            metrics.append(row);
            progress.step(done, String.format("loss %.4f lr %.2e %.0f tok/s", loss, lr, stepTokens / stepSeconds));
            boolean signalled = settings.preemption().requested() && done < settings.maxSteps();
            boolean stopNow = done == settings.stopAtStep() || signalled;
            if (done % settings.checkpointEvery() == 0 || done == settings.maxSteps() || stopNow) {
                checkpointer.save(done, done == settings.maxSteps());
            }
            if (stopNow) {
                progress.println("stopped after step " + done + (signalled ? " by a signal" : " as asked")
                        + "; continue with --resume");
                settings.preemption().settled();
                double seconds = (System.nanoTime() - t0) / 1e9;
                return new Summary(done, lastLoss, lastEval, tokens / seconds, elapsedBefore + seconds, skipped);
            }
        }
        settings.preemption().settled();                 // the last checkpoint is saved: a signal may end it now
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Summary(settings.maxSteps(), lastLoss, lastEval, seconds > 0 ? tokens / seconds : 0,
                elapsedBefore + seconds, skipped);
    }

    /** Updates skipped as non-finite so far in this stage, resumed runs included (for the trainer state). */
    public int skippedSteps() {
        return skipped;
    }

    public static String formatEval(Map<String, Double> eval) {
        StringBuilder sb = new StringBuilder();
        eval.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k.replace('_', ' ')).append(' ')
                .append(String.format("%.4f", v)));
        return sb.toString();
    }

    /** Appends one eval's samples under a {@code === step N ===} header to {@code samplesFile} and the console. */
    public static void appendSamples(Path samplesFile, int step, List<String> lines, Progress progress) {
        if (lines.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("=== step " + step + " ===\n");
        for (String line : lines) {
            sb.append(line).append('\n');
            progress.println("  " + line.replace("\n", "\n  "));
        }
        try {
            Files.writeString(samplesFile, sb.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + samplesFile, e);
        }
    }
}
