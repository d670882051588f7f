package rlhf4j.stage.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.config.GrpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.RewardFunction;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.optim.AdamW;
import rlhf4j.rollout.KlEstimator;
import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.rollout.StepSampler;
import rlhf4j.train.ClippedUpdate;
import rlhf4j.train.Seeds;
import rlhf4j.train.TrainingStep;

/**
 * One GRPO step for the shared loop, in the order of its numbered parts:
 * <ol>
 *   <li>sample {@code group_size} answers to each of the step's {@code batch_size} prompts ({@link StepSampler});</li>
 *   <li>recompute their log-probabilities under the policy (checked against the sampler's) and the reference;</li>
 *   <li>score them ({@code grpo.reward}) and turn each score into its standing in its group
 *       ({@link RolloutMath#groupAdvantages}); a group whose answers score alike teaches nothing and is counted;</li>
 *   <li>{@code epochs} passes over {@code num_mini_batches} shuffled minibatches, one AdamW step each on
 *       {@link Losses#grpoPolicy}: the clipped surrogate with every token of an answer carrying its advantage, plus
 *       β·k3 KL to the reference.</li>
 * </ol>
 * No value model, no reward-model pass per token. Everything random is drawn from Random(seed, step, ...), so a
 * resumed run repeats the same steps bitwise.
 */
final class GrpoStep implements TrainingStep {
    /** The columns of GRPO's {@code metrics.csv}. */
    static final List<String> COLUMNS = List.of("step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s",
            "skipped", "reward_mean", "reward_std", "group_reward_std", "flat_groups", "kl", "clipfrac", "approx_kl",
            "response_length", "stopped_fraction", "logprob_mismatch", "sample_s", "update_s",
            "val_reward", "val_kl", "val_exact_match", "val_chrf", "val_response_length", "val_sentiment", "val_vader");
    /** Warn when more than this share of a step's groups scored alike. */
    static final double FLAT_WARNING = 0.5;

    private final GrpoConfig cfg;
    private final Gpt policy;
    private final Gpt reference;
    private final RewardFunction reward;
    private final ClippedUpdate update;
    private final PromptStream prompts;
    private final StepSampler sampler;
    private final int pad;
    private final long seed;
    private final Map<String, Integer> lastWarned = new LinkedHashMap<>();
    private Map<String, Double> last = Map.of();
    private double sampleSeconds;
    private double updateSeconds;
    private int steps;

    GrpoStep(GrpoConfig cfg, Gpt policy, Gpt reference, RewardFunction reward, AdamW optimizer, PromptStream prompts,
             StepSampler sampler, int pad, long seed) {
        this.cfg = cfg;
        this.policy = policy;
        this.reference = reference;
        this.reward = reward;
        this.update = new ClippedUpdate(optimizer, cfg.gradClip(), cfg.skipNonfinite());
        this.prompts = prompts;
        this.sampler = sampler;
        this.pad = pad;
        this.seed = seed;
    }

    /** Each of the step's prompts {@code group_size} times in a row: the rows one group after another. */
    List<PromptExample> rows(int step) {
        List<PromptExample> rows = new ArrayList<>();
        for (PromptExample p : prompts.batch(step, cfg.batchSize())) {
            for (int g = 0; g < cfg.groupSize(); g++) {
                rows.add(p);
            }
        }
        return rows;
    }

    @Override
    public Outcome run(int step, double lr) {
        // 1. sample
        long t0 = System.nanoTime();
        List<Rollout> rollouts = sampler.sample(step, rows(step));
        RolloutBatch batch = RolloutBatch.of(rollouts, policy.spec().blockSize(), pad);
        // 2. log-probabilities under the policy that sampled and under the reference
        double[][] oldLogp = PolicyPasses.logProbs(policy, batch, cfg.temperature());              // [N][L]
        double mismatch = StepSampler.checkLogProbs(step, oldLogp, rollouts,
                policy.engine().precision());
        double[][] refLogp = PolicyPasses.logProbs(reference, batch, cfg.temperature());           // [N][L]
        // 3. rewards and group advantages
        double[] scores = reward.score(rollouts);                                                  // [N]
        for (int i = 0; i < scores.length; i++) {
            scores[i] -= rollouts.get(i).stopped() ? 0 : cfg.missingEosPenalty();
        }
        RolloutMath.GroupAdvantages groups = RolloutMath.groupAdvantages(scores, cfg.groupSize(),
                cfg.scaleAdvantages());
        double[][] advantages = perToken(groups.advantages(), oldLogp);                            // [N][L]
        long t1 = System.nanoTime();
        // 4. the updates
        Sums sums = new Sums();
        int n = rollouts.size();
        int mb = n / cfg.numMiniBatches();
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            int[] order = RolloutMath.permutation(n, Seeds.minibatchOrder(seed, step, epoch));
            for (int m = 0; m < cfg.numMiniBatches(); m++) {
                int[] rows = Arrays.copyOfRange(order, m * mb, (m + 1) * mb);
                minibatch(step, lr, batch.select(rows), PolicyPasses.pick(oldLogp, rows),
                        PolicyPasses.pick(refLogp, rows), PolicyPasses.pick(advantages, rows), sums);
            }
        }
        long t2 = System.nanoTime();

        Map<String, Double> m = new LinkedHashMap<>();
        m.put("reward_mean", Arrays.stream(scores).average().orElse(Double.NaN));
        m.put("reward_std", std(scores));
        m.put("group_reward_std", groupStd(scores, cfg.groupSize()));
        m.put("flat_groups", groups.flatGroups() / (double) cfg.batchSize());
        m.put("kl", Arrays.stream(RolloutMath.rowSums(RolloutMath.klPerToken(oldLogp, refLogp, KlEstimator.K1)))
                .average().orElse(0));
        m.put("clipfrac", sums.clipped / sums.tokens);
        m.put("approx_kl", sums.approxKl / sums.tokens);
        m.put("response_length", batch.responseTokens() / (double) n);
        m.put("stopped_fraction", rollouts.stream().filter(Rollout::stopped).count() / (double) n);
        m.put("logprob_mismatch", mismatch);
        double sample = (t1 - t0) / 1e9;
        double upd = (t2 - t1) / 1e9;
        m.put("sample_s", sample);
        m.put("update_s", upd);
        sampleSeconds += sample;
        updateSeconds += upd;
        steps++;
        last = m;
        double loss = sums.loss / sums.updates;
        List<String> warnings = new ArrayList<>();
        if (m.get("flat_groups") > FLAT_WARNING) {
            warn(warnings, "flat", step + 1, String.format("step %d: in %d of %d groups every answer scored the same, "
                    + "so they gave no gradient: raise grpo.temperature or grpo.group_size, or use a reward that tells "
                    + "answers apart", step + 1, groups.flatGroups(), cfg.batchSize()));
        }
        String headline = String.format("reward %.3f, kl %.3f, flat groups %.0f%%; held out: ", m.get("reward_mean"),
                m.get("kl"), 100 * m.get("flat_groups"));
        String progress = String.format("reward %.3f kl %.3f flat %.0f%% len %.1f", m.get("reward_mean"), m.get("kl"),
                100 * m.get("flat_groups"), m.get("response_length"));
        return new Outcome(loss, sums.norm / sums.updates, batch.responseTokens(), sample + upd, sums.skipped, m,
                headline, progress, warnings);
    }

    /** Running sums over the minibatch updates of one step. */
    private static final class Sums {
        int updates;
        int skipped;
        double loss;
        double norm;
        double clipped;
        double approxKl;
        double tokens;
    }

    private void minibatch(int step, double lr, RolloutBatch sub, double[][] oldLogp, double[][] refLogp,
                           double[][] adv, Sums s) {
        double[] flatOld = sub.flat(oldLogp);                                                       // [b*T]
        double[] flatRef = sub.flat(refLogp);                                                       // [b*T]
        double[] flatAdv = sub.flat(adv);                                                           // [b*T]
        double[] weight = sub.flat(weights(sub));                                                   // [b*T]
        Gpt.Step out = policy.forwardBackward(HeadRequest.policy(sub.targets(), cfg.temperature(), false),
                sub.tokens(), o -> Losses.grpoPolicy(o.logp(), flatOld, flatRef, flatAdv, weight, cfg.clipRange(),
                        cfg.beta()));
        double loss = out.loss().value();
        ClippedUpdate.Result r = update.apply(step, "policy ", loss, policy.params(), out.grads(), lr);
        double[][] logp = sub.ragged(out.outputs().logp());                                        // [b][L]
        for (int i = 0; i < logp.length; i++) {
            for (int j = 0; j < logp[i].length; j++) {
                double ratio = Math.exp(logp[i][j] - oldLogp[i][j]);
                s.clipped += Losses.isClipped(ratio, adv[i][j], cfg.clipRange()) ? 1 : 0;
                s.approxKl += RolloutMath.approxKl(logp[i][j], oldLogp[i][j]);
                s.tokens += 1;
            }
        }
        s.loss += loss;
        s.norm += r.norm();
        s.skipped += r.applied() ? 0 : 1;
        s.updates++;
    }

    /**
     * The token weights of a minibatch of b answers: GRPO's mean over each answer's tokens, then over the answers,
     * {@code 1 / (L_i · b)}; Dr. GRPO's one constant, {@code 1 / (b · max_new_tokens)}, so a long answer's tokens
     * count as much as a short one's and the loss does not favour short wrong answers.
     */
    double[][] weights(RolloutBatch sub) {
        double[][] w = new double[sub.size()][];
        for (int i = 0; i < w.length; i++) {
            int length = sub.rows().get(i).response().length;
            w[i] = new double[length];
            Arrays.fill(w[i], cfg.scaleAdvantages() ? 1.0 / (length * (double) sub.size())
                    : 1.0 / ((double) sub.size() * cfg.maxNewTokens()));
        }
        return w;
    }

    /** Each answer's advantage on every one of its tokens. */
    private static double[][] perToken(double[] perAnswer, double[][] shape) {
        double[][] out = new double[shape.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[shape[i].length];
            Arrays.fill(out[i], perAnswer[i]);
        }
        return out;
    }

    /** The mean over groups of each group's (population) standard deviation: how much the reward tells answers apart. */
    static double groupStd(double[] scores, int g) {
        double sum = 0;
        for (int from = 0; from < scores.length; from += g) {
            sum += std(Arrays.copyOfRange(scores, from, from + g));
        }
        return sum / (scores.length / g);
    }

    private static double std(double[] x) {
        double mu = Arrays.stream(x).average().orElse(Double.NaN);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - mu) * (v - mu)).average().orElse(Double.NaN));
    }

    private void warn(List<String> out, String kind, int step, String message) {
        Integer previous = lastWarned.get(kind);
        if (previous == null || step - previous >= Math.max(1, cfg.evalEvery())) {
            lastWarned.put(kind, step);
            out.add(message);
        }
    }

    /** The last step's metrics of this run (empty before its first step). */
    Map<String, Double> last() {
        return last;
    }

    String timing() {
        double total = sampleSeconds + updateSeconds;
        return total == 0 ? "no step trained in this run" : String.format("%.1fs per step (sampling and scoring %.0f%%, "
                + "update %.0f%%)", total / Math.max(1, steps), 100 * sampleSeconds / total, 100 * updateSeconds / total);
    }
}
