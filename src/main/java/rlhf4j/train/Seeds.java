package rlhf4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Every random stream of a run, derived from {@code run.seed} in one place. Each stream is a pure
 * function of the seed and of where the run is (step, micro-batch, epoch, batch), never of what ran
 * before in the process: that is what makes a run resumed from a checkpoint draw exactly the
 * numbers an uninterrupted one draws. Changing a formula here changes every run's bits.
 */
public final class Seeds {
    private Seeds() {}

    /** Stream offsets within one optimizer step. */
    private static final int PPO_ROLLOUT = 1;
    private static final int PPO_MINIBATCH_ORDER = 1000;

    /** Micro-batch {@code micro} of optimizer step {@code step} (pretrain, SFT and reward-model batches). */
    public static Random microBatch(long seed, int step, int micro) {
        return new Random(seed * 1_000_003L + (long) step * 4099L + micro);
    }

    /**
     * The {@code n} rows of micro-batch {@code micro} of step {@code step}, drawn with replacement from {@code rows}
     * by {@link #microBatch} (SFT's conversations, the reward model's and DPO's rankings).
     */
    public static <T> List<T> drawMicroBatch(List<T> rows, int n, long seed, int step, int micro) {
        Random rng = microBatch(seed, step, micro);
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(rows.get(rng.nextInt(rows.size())));
        }
        return out;
    }

    /**
     * The seed of the sampling of row {@code prompt} (its place in the step's batch) at RL step {@code step}: each
     * prompt draws from its own stream, so its answer does not depend on which worker, or which others, sample it.
     */
    public static long rolloutSample(long seed, int step, int prompt) {
        return ((seed * 1_000_003L + (long) step * 4099L + PPO_ROLLOUT) * 6_700_417L) ^ (prompt * 0x9E3779B97F4A7C15L);
    }

    /** The order of the RL minibatches (PPO, GRPO) in update epoch {@code epoch} of step {@code step}. */
    public static Random minibatchOrder(long seed, int step, int epoch) {
        return microBatch(seed, step, PPO_MINIBATCH_ORDER + epoch);
    }

    /** The shuffle of the PPO prompts for pass {@code epoch} over them. */
    public static Random promptEpoch(long seed, int epoch) {
        return new Random(seed * 1_000_003L + epoch * 7919L + 17);
    }

    /** The label stage's sampling of candidates for prompt batch {@code batch}. */
    public static Random labelCandidates(long seed, int batch) {
        return new Random(seed * 7_919L + 1_000_003L * batch + 17);
    }

    /** Which prompts the label stage takes. */
    public static Random labelPromptChoice(long seed) {
        return new Random(seed * 31L + 7);
    }

    /** Best-of-K sampling for prompt batch {@code batch} of the report's comparison. */
    public static Random bestOfK(long seed, int batch) {
        return new Random(seed * 6_700_417L + 65_537L * batch + 3);
    }
}
