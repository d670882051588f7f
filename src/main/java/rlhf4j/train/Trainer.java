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
import rlhf4j.optim.LrSchedule;

/**
 * The training loop shared by every stage: run the stage's {@link TrainingStep} (micro-batch
 * gradients and AdamW, or an RL stage's sampling and updates) at the scheduled learning rate, log to
 * {@code metrics.csv} and the progress bar, evaluate and sample every {@code evalEvery} steps,
 * checkpoint every {@code checkpointEvery} steps, at the end and when stopped, and count skipped
 * non-finite updates across resumes.
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
    private final TrainingStep body;
    private final Evaluation evaluation;
    private final MetricsCsv metrics;
    private final Supplier<Path> samplesFile;
    private final Progress progress;
    private String baselineLabel;
    private int skipped;

    /** The loop of a stage trained by gradients of {@code task} ({@link GradientStep}). */
    public Trainer(Settings settings, Map<String, INDArray> params, AdamW optimizer, TrainingTask task,
                   MetricsCsv metrics, Supplier<Path> samplesFile, Progress progress) {
        this(settings, new GradientStep(task, params, optimizer, settings.gradAccumSteps(), settings.gradClip(),
                settings.skipNonfinite()), task, metrics, samplesFile, progress);
    }

    /** The loop around any step (PPO's is a rollout and its minibatch updates). */
    public Trainer(Settings settings, TrainingStep body, Evaluation evaluation, MetricsCsv metrics,
                   Supplier<Path> samplesFile, Progress progress) {
        this.settings = settings;
        this.body = body;
        this.evaluation = evaluation;
        this.metrics = metrics;
        this.samplesFile = samplesFile;
        this.progress = progress;
    }

    /**
     * Before the first step of a fresh run, evaluate the initial model as a step-0 row, shown as
     * "step 0 ({@code label}): held out: ..." (PPO's baseline that later evaluations compare with).
     */
    public Trainer withBaseline(String label) {
        this.baselineLabel = label;
        return this;
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
        if (startStep == 0 && baselineLabel != null) {
            baseline();
        }
        double lastLoss = Double.NaN;
        Map<String, Double> lastEval = Map.of();
        long tokens = 0;
        for (int step = startStep; step < settings.maxSteps(); step++) {
            double lr = settings.schedule().lr(step);
            TrainingStep.Outcome o = body.run(step, lr);
            int done = step + 1;
            skipped += o.skipped();
            for (String w : o.warnings()) {
                progress.println("warning: " + w);
            }
            tokens += o.tokens();
            lastLoss = o.loss();
            double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
            Map<String, Number> row = new LinkedHashMap<>();
            row.put("step", done);
            row.put("loss", o.loss());
            row.put("lr", lr);
            row.put("grad_norm", o.gradNorm());
            row.put("tokens_per_s", o.tokens() / o.seconds());
            row.put("elapsed_s", elapsed);
            row.put("skipped", skipped);
            row.putAll(o.metrics());
            boolean evalNow = done % settings.evalEvery() == 0 || done == settings.maxSteps();
            if (evalNow) {
                lastEval = evaluation.evaluate(done);
                row.putAll(lastEval);
                progress.println("step " + done + ": " + o.headline() + formatEval(lastEval));
                appendSamples(samplesFile.get(), done, evaluation.samples(done), progress);
            }
            metrics.append(row);
            progress.step(done, o.progress());
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

    /** Step 0: the held-out numbers of the initial model, the baseline the later evaluations compare with. */
    private void baseline() {
        Map<String, Double> eval = evaluation.evaluate(0);
        Map<String, Number> row = new LinkedHashMap<>();
        row.put("step", 0);
        row.put("elapsed_s", 0.0);
        row.put("skipped", 0);
        row.putAll(eval);
        metrics.append(row);
        progress.println("step 0 (" + baselineLabel + "): held out: " + formatEval(eval));
        appendSamples(samplesFile.get(), 0, evaluation.samples(0), progress);
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
