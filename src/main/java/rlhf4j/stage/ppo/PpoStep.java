package rlhf4j.stage.ppo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.train.TrainingStep;

/**
 * PPO's step for the shared loop ({@link rlhf4j.train.Trainer}): one {@link PpoAlgorithm#step} —
 * rollouts, scoring passes, then the minibatch updates — with the warnings PPO users need (negative
 * KL, KL far above target, collapsing responses) and the rollout/update time split kept for the
 * stage's summary.
 */
public final class PpoStep implements TrainingStep {
    /** The columns of PPO's {@code metrics.csv}. */
    public static final List<String> COLUMNS = List.of("step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s",
            "skipped", "reward_mean", "reward_std", "kl", "kl_coef", "policy_loss", "value_loss", "entropy", "clipfrac",
            "approx_kl", "response_length", "advantage_mean", "value_explained_variance", "rollout_s", "update_s",
            "rollout_share", "non_score_reward", "stopped_fraction", "logprob_mismatch",
            "val_reward", "val_kl", "val_exact_match", "val_chrf", "val_response_length", "val_sentiment", "val_vader");

    private final PpoAlgorithm algorithm;
    private final Warnings warnings;
    private Map<String, Double> last = Map.of();
    private double rolloutSeconds;
    private double generateSeconds;
    private double updateSeconds;
    private int steps;

    public PpoStep(PpoAlgorithm algorithm, double targetKl, int evalEvery) {
        this.algorithm = algorithm;
        this.warnings = new Warnings(targetKl, evalEvery);
    }

    @Override
    public Outcome run(int step, double lr) {
        PpoAlgorithm.StepResult r = algorithm.step(step, lr);
        rolloutSeconds += r.rolloutSeconds();
        generateSeconds += r.generateSeconds();
        updateSeconds += r.updateSeconds();
        steps++;
        double seconds = r.rolloutSeconds() + r.updateSeconds();
        Map<String, Double> m = new LinkedHashMap<>(r.metrics());
        m.remove("loss");
        m.remove("grad_norm");
        m.put("rollout_s", r.rolloutSeconds());
        m.put("update_s", r.updateSeconds());
        m.put("rollout_share", r.rolloutSeconds() / seconds);
        last = r.metrics();
        Map<String, Double> x = r.metrics();
        String headline = String.format("reward %.3f, kl %.3f, β %.4f; held out: ", x.get("reward_mean"), x.get("kl"),
                x.get("kl_coef"));
        String progress = String.format("reward %.3f kl %.3f β %.4f len %.1f", x.get("reward_mean"), x.get("kl"),
                x.get("kl_coef"), x.get("response_length"));
        return new Outcome(x.get("loss"), x.get("grad_norm"), r.responseTokens(), seconds, r.skipped(), m, headline,
                progress, warnings.check(step + 1, x));
    }

    /** Where this run's step time went, for the summary line. */
    String timing() {
        double total = rolloutSeconds + updateSeconds;
        return total == 0 ? "no step trained in this run" : String.format("%.1fs per step (rollout %.0f%% = "
                        + "generation %.0f%% + scoring passes %.0f%%, update %.0f%%)", total / Math.max(1, steps),
                100 * rolloutSeconds / total, 100 * generateSeconds / total,
                100 * (rolloutSeconds - generateSeconds) / total, 100 * updateSeconds / total);
    }

    /** The last step's metrics of this run (empty before its first step). */
    public Map<String, Double> last() {
        return last;
    }

    /** Steps run by this object (this run, not the resumed ones). */
    public int steps() {
        return steps;
    }

    public double rolloutSeconds() {
        return rolloutSeconds;
    }

    public double generateSeconds() {
        return generateSeconds;
    }

    public double updateSeconds() {
        return updateSeconds;
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
            List<String> out = new ArrayList<>();
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
