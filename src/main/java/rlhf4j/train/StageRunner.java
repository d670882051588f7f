package rlhf4j.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigLoader;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.TrainingHyperparams;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.nn.VectorSupport;
import rlhf4j.optim.AdamW;
import rlhf4j.optim.LrSchedule;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * What every stage job does around its task: build the optimizer and loop settings from the
 * stage's hyperparameters, restore them on resume, open {@code metrics.csv} and the progress bar,
 * and save checkpoints with a trainer state that makes resume exact.
 */
public final class StageRunner {
    private StageRunner() {}

    /**
     * The model, its optimizer and where training starts (step 0, or the resumed checkpoint's step, with
     * its elapsed time and count of skipped non-finite updates).
     */
    public record Start(Gpt gpt, AdamW optimizer, int step, double elapsedSeconds, int skippedSteps) {
        public Start(Gpt gpt, AdamW optimizer, int step, double elapsedSeconds) {
            this(gpt, optimizer, step, elapsedSeconds, 0);
        }
    }

    /**
     * The learning-rate schedule of a stage. A warmup longer than the run (a smoke run's small
     * {@code max_steps}) is shortened to the run, with a one-line note: the rate then rises over every
     * step and reaches its peak at the last.
     */
    public static LrSchedule schedule(TrainingHyperparams h, String stage, PrintStream out) {
        int warmup = Math.min(h.warmupSteps(), h.maxSteps());
        if (warmup < h.warmupSteps()) {
            out.printf("note: %s.warmup_steps %d is longer than %s.max_steps %d: warming up over all %d steps%n",
                    stage, h.warmupSteps(), stage, h.maxSteps(), h.maxSteps());
        }
        return new LrSchedule(h.learningRate(), h.minLr(), warmup, h.maxSteps());
    }

    public static AdamW optimizer(TrainingHyperparams h) {
        return new AdamW(h.beta1(), h.beta2(), h.eps(), h.weightDecay(), AdamW.gpt2DecayRule(h.decayEmbeddings()));
    }

    /** A fresh start on {@code gpt}, or the state of {@code resumed} (a checkpoint of this stage). */
    public static Start start(TrainingHyperparams h, Gpt gpt, StageCheckpoint.Loaded resumed, PrintStream out,
                              Path dir, long seed, boolean acceptChanges) {
        return start(h, gpt, resumed, out, dir, seed, acceptChanges, 1);
    }

    /** As above, for a stage that makes {@code updatesPerStep} optimizer updates per step (its minibatches). */
    public static Start start(TrainingHyperparams h, Gpt gpt, StageCheckpoint.Loaded resumed, PrintStream out,
                              Path dir, long seed, boolean acceptChanges, int updatesPerStep) {
        AdamW optimizer = optimizer(h);
        out.println(VectorSupport.engineLine(gpt.engine().kernels(), gpt.engine().precision()));
        if (resumed == null) {
            return new Start(gpt, optimizer, 0, 0.0);
        }
        ResumeState state = ResumeState.read(dir, resumed.trainerState(),
                resumed.stage() + ".max_steps", h.maxSteps(), seed, acceptChanges);
        ResumeState.checkOptimizer(dir.resolve(StageCheckpoint.OPTIMIZER), resumed.optimizer(), gpt.params(),
                (long) state.step() * updatesPerStep);
        optimizer.load(resumed.optimizer());
        out.printf("resuming %s at step %d of %d%n", dir, state.step(), h.maxSteps());
        return new Start(gpt, optimizer, state.step(), state.elapsedSeconds(), state.skippedSteps());
    }

    /** Everything the loop needs besides the step. */
    public record Job(String stage, Path dir, ExperimentConfig config, TrainingHyperparams hyper, RunOptions options,
                      List<String> extraColumns, BpeTokenizer tokenizer, Start start, Map<String, Object> extraState,
                      String dataSha256) {}

    /**
     * A stage's own part of the loop: its step and evaluation, its metrics columns, the label of the step-0
     * evaluation (null: none), the rule that maps a step to its data (written into the trainer state), and what
     * each checkpoint adds to the trainer state and to the tensor files, read when it is saved.
     */
    public record Loop(TrainingStep step, Evaluation evaluation, List<String> columns, String baseline, String dataRule,
                       Supplier<Map<String, Object>> stateAtSave, Supplier<Map<String, Map<String, INDArray>>> tensorsAtSave) {}

    /**
     * A stage whose step is one gradient of its task's loss (pretrain, SFT, the reward model, DPO), its micro-batches
     * computed by {@code runner} (here, or on Spark: {@code rlhf4j.stage.Runners} chooses), which this closes.
     */
    public static Trainer.Summary run(Job job, TrainingTask task, MicroBatchRunner runner, PrintStream out) {
        TrainingHyperparams h = job.hyper();
        List<String> columns = new ArrayList<>(Trainer.BASE_COLUMNS);
        columns.addAll(job.extraColumns());
        try (runner) {
            if (runner.describe() != null) {
                out.println(runner.describe());
            }
            GradientStep step = new GradientStep(runner, job.start().gpt().params(), job.start().optimizer(),
                    h.gradAccumSteps(), h.gradClip(), h.skipNonfinite());
            return run(job, new Loop(step, task, columns, null,
                    "the batches of step s are drawn from Random(f(seed, s, micro)): the step is the position",
                    Map::of, Map::of), out);
        }
    }

    /** Any stage on the shared loop: the schedule, {@code metrics.csv}, progress, evaluations and checkpoints. */
    public static Trainer.Summary run(Job job, Loop loop, PrintStream out) {
        TrainingHyperparams h = job.hyper();
        Start start = job.start();
        Trainer.Settings settings = new Trainer.Settings(h.maxSteps(), h.gradAccumSteps(), h.gradClip(), h.evalEvery(),
                h.checkpointEvery(), h.logEvery(), h.skipNonfinite(),
                schedule(h, job.stage(), out), job.options().stopAtStep(),
                job.options().preemption());
        LiveFiles live = LiveFiles.start(job.dir(), job.options().resume(), start.step());
        long started = System.nanoTime();
        try (MetricsCsv metrics = MetricsCsv.open(live::metrics, loop.columns(), job.options().resume() ? start.step() : -1);
             Progress progress = new Progress(job.stage(), start.step(), h.maxSteps(), h.logEvery(), out)) {
            Trainer trainer = new Trainer(settings, loop.step(), loop.evaluation(), metrics, live::samples, progress);
            if (loop.baseline() != null) {
                trainer.withBaseline(loop.baseline());
            }
            return trainer.run(start.step(), start.elapsedSeconds(), start.skippedSteps(), (step, last) -> {
                Map<String, Object> state = new LinkedHashMap<>();
                state.put("stage", job.stage());
                state.put("step", step);
                state.put("max_steps", h.maxSteps());
                state.put("finished", last);
                state.put("seed", job.config().run().seed());
                state.put("elapsed_s", start.elapsedSeconds() + (System.nanoTime() - started) / 1e9);
                state.put(ResumeState.SKIPPED, trainer.skippedSteps());
                state.put("data_position", Map.of("step", step, "rule", loop.dataRule()));
                state.putAll(job.extraState());
                state.putAll(loop.stateAtSave().get());
                state.put("data_sha256", job.dataSha256());
                state.put("tokenizer_fingerprint", job.tokenizer().fingerprint());
                state.put("config", ConfigLoader.toMap(job.config()));
                StageCheckpoint.save(job.dir(), new StageCheckpoint.Contents(job.stage(), start.gpt().spec(),
                        start.gpt().params(), job.tokenizer(), state, start.optimizer().state(),
                        loop.tensorsAtSave().get()), live.dir());
                live.saved();
            });
        }
    }
}
