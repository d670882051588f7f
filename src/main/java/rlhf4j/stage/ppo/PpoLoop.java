package rlhf4j.stage.ppo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import rlhf4j.optim.LrSchedule;
import rlhf4j.train.MetricsCsv;
import rlhf4j.train.Preemption;
import rlhf4j.train.Progress;
import rlhf4j.train.Trainer;

/**
 * The PPO training loop: one {@link PpoAlgorithm#step} per PPO step, a {@code metrics.csv} row and a
 * progress line with reward, KL and β each step, held-out evaluation and samples every
 * {@code eval_every} steps, checkpoints every {@code checkpoint_every} steps and at the end, and warnings
 * for the failure modes users hit: negative KL, KL far above target, collapsing responses.
 */
public final class PpoLoop {
    public static final List<String> COLUMNS = List.of("step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s",
            "skipped", "reward_mean", "reward_std", "kl", "kl_coef", "policy_loss", "value_loss", "entropy", "clipfrac",
            "approx_kl", "response_length", "advantage_mean", "value_explained_variance", "rollout_s", "update_s",
            "rollout_share", "non_score_reward", "stopped_fraction", "logprob_mismatch",
            "val_reward", "val_kl", "val_exact_match", "val_chrf", "val_response_length");

    /** The loop's cadence. */
    public record Settings(int maxSteps, int evalEvery, int checkpointEvery, int stopAtStep, double targetKl,
                           LrSchedule schedule, Preemption preemption) {
        public Settings(int maxSteps, int evalEvery, int checkpointEvery, int stopAtStep, double targetKl,
                        LrSchedule schedule) {
            this(maxSteps, evalEvery, checkpointEvery, stopAtStep, targetKl, schedule, Preemption.none());
        }
    }

    /** Held-out numbers ({@code val_*}) and sample lines after a step. */
    public interface Evaluation {
        Map<String, Double> evaluate(int step);

        List<String> samples(int step);
    }

    /** How the run ended. */
    public record Summary(int steps, Map<String, Double> last, Map<String, Double> lastEval, double seconds,
                          double rolloutSeconds, double generateSeconds, double updateSeconds, int skipped) {}

    private final Settings settings;
    private final PpoAlgorithm algorithm;
    private final Evaluation evaluation;
    private final MetricsCsv metrics;
    private final Supplier<Path> samplesFile;
    private final Progress progress;
    private final Warnings warnings;

    public PpoLoop(Settings settings, PpoAlgorithm algorithm, Evaluation evaluation, MetricsCsv metrics,
                   Supplier<Path> samplesFile, Progress progress) {
        this.settings = settings;
        this.algorithm = algorithm;
        this.evaluation = evaluation;
        this.metrics = metrics;
        this.samplesFile = samplesFile;
        this.progress = progress;
        this.warnings = new Warnings(settings.targetKl(), settings.evalEvery());
    }

    public Summary run(int startStep, double elapsedBefore, int skippedBefore, StepCheckpointer checkpointer) {
        long t0 = System.nanoTime();
        Map<String, Double> last = Map.of();
        Map<String, Double> lastEval = Map.of();
        double rollout = 0;
        double generate = 0;
        double update = 0;
        int skipped = skippedBefore;
        int done = startStep;
        if (startStep >= settings.maxSteps()) {              // a resumed run that has nothing left to train
            progress.println("already finished: step " + startStep + " of " + settings.maxSteps()
                    + ", nothing to train (raise max_steps to train further)");
            settings.preemption().settled();
            Map<String, Double> lastRow = metrics.lastRow();
            return new Summary(startStep, lastRow, lastRow, elapsedBefore, 0, 0, 0, skipped);
        }
        if (startStep == 0) {
            baseline();
        }
        for (int step = startStep; step < settings.maxSteps(); step++) {
            double lr = settings.schedule().lr(step);
            PpoAlgorithm.StepResult r = algorithm.step(step, lr);
            done = step + 1;
            skipped += r.skipped();
            rollout += r.rolloutSeconds();
            generate += r.generateSeconds();
            update += r.updateSeconds();
            double stepSeconds = r.rolloutSeconds() + r.updateSeconds();
            Map<String, Number> row = new LinkedHashMap<>();
            row.put("step", done);
            row.put("lr", lr);
            row.put("tokens_per_s", r.responseTokens() / stepSeconds);
            row.put("elapsed_s", elapsedBefore + (System.nanoTime() - t0) / 1e9);
            row.put("skipped", skipped);
            row.putAll(r.metrics());
            row.put("rollout_s", r.rolloutSeconds());
            row.put("update_s", r.updateSeconds());
            row.put("rollout_share", r.rolloutSeconds() / stepSeconds);
            last = r.metrics();
            for (String w : warnings.check(done, r.metrics())) {
                progress.println("warning: " + w);
            }
            if (done % settings.evalEvery() == 0 || done == settings.maxSteps()) {
                lastEval = evaluation.evaluate(done);
                row.putAll(lastEval);
                progress.println(String.format("step %d: reward %.3f, kl %.3f, β %.4f; held out: %s", done,
                        r.metrics().get("reward_mean"), r.metrics().get("kl"), r.metrics().get("kl_coef"),
                        Trainer.formatEval(lastEval)));
                Trainer.appendSamples(samplesFile.get(), done, evaluation.samples(done), progress);
            }
            metrics.append(row);
            progress.step(done, String.format("reward %.3f kl %.3f β %.4f len %.1f", r.metrics().get("reward_mean"),
                    r.metrics().get("kl"), r.metrics().get("kl_coef"), r.metrics().get("response_length")));
            boolean signalled = settings.preemption().requested() && done < settings.maxSteps();
            boolean stopNow = done == settings.stopAtStep() || signalled;
            if (done % settings.checkpointEvery() == 0 || done == settings.maxSteps() || stopNow) {
                checkpointer.save(done, done == settings.maxSteps(), skipped);
            }
            if (stopNow) {
                progress.println("stopped after step " + done + (signalled ? " by a signal" : " as asked")
                        + "; continue with --resume");
                settings.preemption().settled();
                break;
            }
        }
        settings.preemption().settled();                 // the last checkpoint is saved: a signal may end it now
        return new Summary(done, last, lastEval, elapsedBefore + (System.nanoTime() - t0) / 1e9, rollout, generate,
                update, skipped);
    }

    /** Step 0: the held-out numbers of the SFT policy itself, the baseline the later evaluations compare with. */
    private void baseline() {
        Map<String, Double> eval = evaluation.evaluate(0);
        Map<String, Number> row = new LinkedHashMap<>();
        row.put("step", 0);
        row.put("elapsed_s", 0.0);
        row.put("skipped", 0);
        row.putAll(eval);
        metrics.append(row);
        progress.println("step 0 (the initial policy): held out: " + Trainer.formatEval(eval));
        Trainer.appendSamples(samplesFile.get(), 0, evaluation.samples(0), progress);
    }

    /** Saves a checkpoint after {@code step} PPO steps. */
    public interface StepCheckpointer {
        void save(int step, boolean last, int skipped);
    }

    /**
     * The failure modes users of PPO report, as warnings, each repeated at most once per {@code every} steps:
     * negative KL (the estimate below −0.1 nats means sampling and training disagree, or too few samples),
     * KL above three times the target, and mean response length under a quarter of the first step's.
     */
    static final class Warnings {
        private final double targetKl;
        private final int every;
        private final Map<String, Integer> lastWarned = new LinkedHashMap<>();
        private double firstLength = Double.NaN;

        Warnings(double targetKl, int every) {
            this.targetKl = targetKl;
            this.every = Math.max(1, every);
        }

        List<String> check(int step, Map<String, Double> m) {
            List<String> out = new java.util.ArrayList<>();
            double kl = m.get("kl");
            double length = m.get("response_length");
            if (Double.isNaN(firstLength)) {
                firstLength = length;
            }
            if (kl < -0.1) {
                warn(out, "negative-kl", step, String.format("step %d: KL is negative (%.3f): the policy's samples are "
                        + "less likely under it than under the reference; check temperature/top-k/top-p, or use "
                        + "kl_estimator k3", step, kl));
            }
            if (kl > 3 * targetKl) {
                warn(out, "high-kl", step, String.format("step %d: KL %.2f is over 3x target_kl (%.2f): the policy is "
                        + "drifting from the reference; raise kl_coef (or set adaptive_kl) or lower learning_rate",
                        step, kl, targetKl));
            }
            if (length < 0.25 * firstLength) {
                warn(out, "short", step, String.format("step %d: mean response length %.1f tokens, under a quarter of "
                        + "the first step's %.1f: responses are collapsing (reward hacking by ending early?)",
                        step, length, firstLength));
            }
            return out;
        }

        private void warn(List<String> out, String kind, int step, String message) {
            Integer previous = lastWarned.get(kind);
            if (previous == null || step - previous >= every) {
                lastWarned.put(kind, step);
                out.add(message);
            }
        }
    }
}
