package rlhf4j.stage.ppo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rlhf4j.config.PpoConfig;
import rlhf4j.generate.SamplingParams;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.optim.AdamW;
import rlhf4j.rollout.KlEstimator;
import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.PromptStream;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;
import rlhf4j.rollout.StepSampler;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.ClippedUpdate;
import rlhf4j.train.Seeds;

/**
 * One PPO step, as TRL and OpenRLHF do it: roll out B prompts with the policy's KV-cache
 * sampler; recompute the responses' log-probabilities under the policy and the reference with the
 * training graph (logits / temperature) and check them against the sampler's; values from the value
 * model; normalised reward-model scores; per-token rewards −β·KL plus the score on the last token;
 * GAE advantages (whitened) and returns; then {@code ppo_epochs} passes over {@code num_mini_batches}
 * shuffled minibatches, each one AdamW step of the policy (clipped surrogate) and one of the value model
 * (clipped value loss). Everything random is drawn from Random(seed, step, ...), so the step number is
 * the whole data position and a resumed run repeats the same steps bitwise.
 */
public final class PpoAlgorithm {
    private final PpoConfig cfg;
    private final PpoModels models;
    private final ClippedUpdate policyUpdate;
    private final ClippedUpdate valueUpdate;
    private final KlController kl;
    private final PromptStream prompts;
    private final long seed;
    private final int pad;
    private final KlEstimator estimator;
    private final StepSampler sampler;

    /** With the rollouts sampled in this JVM. */
    public PpoAlgorithm(PpoConfig cfg, PpoModels models, AdamW policyOptimizer, AdamW valueOptimizer, KlController kl,
                        PromptStream prompts, long seed) {
        this(cfg, models, policyOptimizer, valueOptimizer, kl, prompts, seed,
                RolloutRunner.local(models.policy(), sampling(cfg, models.tokenizer())));
    }

    /** With the rollouts sampled by {@code rollouts} (here, or on Spark's executors). */
    public PpoAlgorithm(PpoConfig cfg, PpoModels models, AdamW policyOptimizer, AdamW valueOptimizer, KlController kl,
                        PromptStream prompts, long seed, RolloutRunner rollouts) {
        this.cfg = cfg;
        this.models = models;
        this.policyUpdate = new ClippedUpdate(policyOptimizer, cfg.gradClip(), cfg.skipNonfinite());
        this.valueUpdate = new ClippedUpdate(valueOptimizer, cfg.gradClip(), cfg.skipNonfinite());
        this.kl = kl;
        this.prompts = prompts;
        this.seed = seed;
        RolloutGenerator generator = new RolloutGenerator(models.tokenizer());
        this.pad = generator.pad();
        this.estimator = KlEstimator.parse(cfg.klEstimator());
        this.sampler = new StepSampler(rollouts, generator, models.policy().spec().blockSize(), cfg.maxNewTokens(),
                cfg.rolloutBatch(), seed);
    }

    /**
     * What one step measured; {@code generateSeconds} is the sampling part of {@code rolloutSeconds} (the rest:
     * the policy, reference, value and reward passes); {@code skipped} counts optimizer updates skipped for
     * non-finite numbers.
     */
    public record StepResult(Map<String, Double> metrics, double rolloutSeconds, double generateSeconds,
                             double updateSeconds, int responseTokens, int skipped) {}

    /** How PPO samples its rollouts with these settings. */
    public static RolloutSampling sampling(PpoConfig cfg, BpeTokenizer tokenizer) {
        return RolloutSampling.of(tokenizer, new SamplingParams(cfg.temperature(), cfg.topK(), cfg.topP(),
                cfg.maxNewTokens()));
    }

    /** Rollouts of the prompts of step {@code step}, one answer each ({@link StepSampler}). */
    public List<Rollout> rollout(int step) {
        return sampler.sample(step, prompts.batch(step, cfg.batchSize()));
    }

    public StepResult step(int step, double lr) {
        long t0 = System.nanoTime();
        List<Rollout> rollouts = rollout(step);
        long tGenerated = System.nanoTime();
        RolloutBatch batch = RolloutBatch.of(rollouts, models.policy().spec().blockSize(), pad);
        double temperature = cfg.temperature();
        double[][] oldLogp = PolicyPasses.logProbs(models.policy(), batch, temperature);     // [B][L]
        double mismatch = StepSampler.checkLogProbs(step, oldLogp, rollouts,
                models.policy().engine().precision());
        double[][] refLogp = PolicyPasses.logProbs(models.reference(), batch, temperature);  // [B][L]
        double[][] oldValues = PolicyPasses.values(models.value(), batch);                  // [B][L]
        double[] scores = models.reward().score(rollouts);                                   // [B]
        double[] penalised = scores.clone();
        for (int i = 0; i < penalised.length; i++) {
            if (!rollouts.get(i).stopped()) {
                penalised[i] -= cfg.missingEosPenalty();
            }
        }
        double beta = kl.beta();
        double[][] klTokens = RolloutMath.klPerToken(oldLogp, refLogp, estimator);               // [B][L]
        double[][] rewards = RolloutMath.rewards(klTokens, beta, penalised);                     // [B][L]
        if (cfg.whitenRewards()) {
            rewards = RolloutMath.whiten(rewards, false);
        }
        RolloutMath.Gae gae = RolloutMath.gae(rewards, oldValues, cfg.gamma(), cfg.lam());
        Experience experience = new Experience(batch, oldLogp, refLogp, oldValues, scores, klTokens,
                RolloutMath.whiten(gae.advantages(), true), gae.returns());
        long t1 = System.nanoTime();

        UpdateStats stats = new UpdateStats();
        int b = experience.size();
        int mb = b / cfg.numMiniBatches();
        for (int epoch = 0; epoch < cfg.ppoEpochs(); epoch++) {
            int[] order = RolloutMath.permutation(b, Seeds.minibatchOrder(seed, step, epoch));
            for (int m = 0; m < cfg.numMiniBatches(); m++) {
                Experience mini = experience.select(Arrays.copyOfRange(order, m * mb, (m + 1) * mb));
                updatePolicy(step, mini, lr, stats);
                updateValue(step, mini, lr, stats);
            }
        }
        long t2 = System.nanoTime();

        double[] klSums = RolloutMath.rowSums(klTokens);
        double meanKl = Arrays.stream(klSums).average().orElse(0);
        kl.update(meanKl, b);
        Map<String, Double> m = new LinkedHashMap<>();
        double updates = stats.updates;
        m.put("loss", (stats.policyLoss + stats.valueLoss) / updates);
        m.put("grad_norm", stats.policyNorm / updates);
        m.put("reward_mean", mean(scores));
        m.put("reward_std", std(scores));
        m.put("kl", meanKl);
        m.put("kl_coef", beta);
        m.put("policy_loss", stats.policyLoss / updates);
        m.put("value_loss", stats.valueLoss / updates / cfg.vfCoef());
        m.put("entropy", stats.entropy / updates);
        m.put("clipfrac", stats.clipped / stats.tokens);
        m.put("approx_kl", stats.approxKl / stats.tokens);
        m.put("response_length", batch.responseTokens() / (double) b);
        m.put("advantage_mean", RolloutMath.mean(gae.advantages()));
        m.put("value_explained_variance", RolloutMath.explainedVariance(oldValues, gae.returns()));
        m.put("non_score_reward", Arrays.stream(RolloutMath.rowSums(RolloutMath.rewards(klTokens, beta, new double[b])))
                .average().orElse(0));
        m.put("stopped_fraction", rollouts.stream().filter(Rollout::stopped).count() / (double) b);
        m.put("logprob_mismatch", mismatch);
        return new StepResult(m, (t1 - t0) / 1e9, (tGenerated - t0) / 1e9, (t2 - t1) / 1e9, batch.responseTokens(),
                stats.skipped);
    }

    /** Running sums over the minibatch updates of one step. */
    private static final class UpdateStats {
        int updates;
        int skipped;
        double policyLoss;
        double valueLoss;
        double policyNorm;
        double entropy;
        double clipped;
        double approxKl;
        double tokens;
    }

    private void updatePolicy(int step, Experience mini, double lr, UpdateStats s) {
        RolloutBatch sub = mini.batch();
        double[][] oldLogp = mini.oldLogp();                                                // [b][L]
        double[][] adv = mini.advantages();                                                 // [b][L]
        double[] flatOld = sub.flat(oldLogp);                                               // [N]
        double[] flatAdv = sub.flat(adv);                                                   // [N]
        double[] weight = sub.flat(sub.uniformWeights());                                   // [N]
        Gpt policy = models.policy();
        Gpt.Step out = policy.forwardBackward(HeadRequest.policy(sub.targets(), cfg.temperature(), true), sub.tokens(),
                o -> Losses.ppoPolicy(o.logp(), o.entropy(), flatOld, flatAdv, weight, cfg.clipRange(),
                        cfg.entropyCoef()));
        double loss = out.loss().value();
        ClippedUpdate.Result update = policyUpdate.apply(step, "policy ", loss, policy.params(), out.grads(), lr);
        s.skipped += update.applied() ? 0 : 1;
        double[][] logp = sub.ragged(out.outputs().logp());                                 // [b][L]
        for (int i = 0; i < logp.length; i++) {
            for (int j = 0; j < logp[i].length; j++) {
                double ratio = Math.exp(logp[i][j] - oldLogp[i][j]);
                s.clipped += RolloutMath.isClipped(ratio, adv[i][j], cfg.clipRange()) ? 1 : 0;
                s.approxKl += RolloutMath.approxKl(logp[i][j], oldLogp[i][j]);
                s.tokens += 1;
            }
        }
        s.entropy += RolloutMath.mean(sub.ragged(out.outputs().entropy()));
        s.policyLoss += loss;
        s.policyNorm += update.norm();
        s.updates++;
    }

    private void updateValue(int step, Experience mini, double lr, UpdateStats s) {
        RolloutBatch sub = mini.batch();
        double[] oldValues = sub.flat(mini.oldValues());                                    // [N]
        double[] returns = sub.flat(mini.returns());                                        // [N]
        double[] weight = sub.flat(sub.uniformWeights());                                   // [N]
        Gpt value = models.value();
        Gpt.Step out = value.forwardBackward(HeadRequest.scalar(), sub.tokens(),
                o -> Losses.clippedValue(o.values(), oldValues, returns, weight, cfg.clipRangeValue(), cfg.vfCoef()));
        double loss = out.loss().value();
        s.skipped += valueUpdate.apply(step, "value ", loss, value.params(), out.grads(), lr).applied() ? 0 : 1;
        s.valueLoss += loss;
    }

    static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    static double std(double[] x) {
        double mu = mean(x);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - mu) * (v - mu)).average().orElse(Double.NaN));
    }
}
