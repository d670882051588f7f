package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.Sampler;
import rlhf4j.nn.Precision;
import rlhf4j.train.Seeds;

/**
 * How an RL step (PPO, GRPO) samples its answers: the step's rows — its prompts, each once for PPO or G times for
 * GRPO — rendered and cut to fit, sent in chunks of {@code chunk} rows (one batched generation each, a Spark task when
 * distributed), row i drawing from {@link Seeds#rolloutSample}(seed, step, i). The answers depend on the step alone,
 * not on where or in how many pieces they were sampled, so a resumed run repeats an uninterrupted one.
 */
public final class StepSampler {
    /** Sampler and training graph disagree beyond this (nats per token) in FP32: a bug, not noise. */
    public static final double LOGPROB_TOLERANCE = 0.02;
    /**
     * The same in BF16: the sampler's few-row products and the training pass's batch products round their inputs
     * to 8 significant bits each, so a last-bit difference upstream can move a rounding by 2^-8 and the layers
     * carry it on. Measured on the tiny config's 100 PPO steps: median 0.04, largest 0.11 nats; a
     * wrong mask or position moves tokens by whole nats.
     */
    public static final double BF16_LOGPROB_TOLERANCE = 0.5;

    /** {@link #LOGPROB_TOLERANCE} or {@link #BF16_LOGPROB_TOLERANCE}, for the policy's products. */
    static double logProbTolerance(Precision precision) {
        return precision == Precision.BF16 ? BF16_LOGPROB_TOLERANCE : LOGPROB_TOLERANCE;
    }

    private final RolloutRunner runner;
    private final RolloutGenerator generator;
    private final int blockSize;
    private final int maxNewTokens;
    private final int chunk;
    private final long seed;

    /** @param chunk rows per batched generation; 0 = all of a step's rows at once */
    public StepSampler(RolloutRunner runner, RolloutGenerator generator, int blockSize, int maxNewTokens, int chunk,
                       long seed) {
        this.runner = runner;
        this.generator = generator;
        this.blockSize = blockSize;
        this.maxNewTokens = maxNewTokens;
        this.chunk = chunk;
        this.seed = seed;
    }

    /** The answers to {@code rows} at step {@code step}, in row order. */
    public List<Rollout> sample(int step, List<PromptExample> rows) {
        List<int[]> ids = generator.promptIds(rows, blockSize, maxNewTokens);
        int size = chunk == 0 ? rows.size() : chunk;
        List<RolloutSampling.Chunk> chunks = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += size) {
            int to = Math.min(ids.size(), from + size);
            long[] seeds = new long[to - from];
            for (int i = from; i < to; i++) {
                seeds[i - from] = Seeds.rolloutSample(seed, step, i);
            }
            chunks.add(new RolloutSampling.Chunk(ids.subList(from, to), seeds));
        }
        List<Sampler.Generation> gens = new ArrayList<>(rows.size());
        runner.run(chunks).forEach(gens::addAll);
        return generator.rollouts(rows, ids, gens);
    }

    /**
     * The largest difference between the training graph's log-probabilities of the sampled tokens [B][L] and the
     * sampler's own; above the tolerance for the policy's {@code precision} ({@link #logProbTolerance}) the two paths
     * disagree and the step fails rather than train on wrong ratios.
     */
    public static double checkLogProbs(int step, double[][] graph, List<Rollout> rollouts, Precision precision) {
        double tolerance = logProbTolerance(precision);
        double worst = 0;
        for (int i = 0; i < graph.length; i++) {
            double[] sampler = rollouts.get(i).samplerLogp();
            for (int j = 0; j < graph[i].length; j++) {
                worst = Math.max(worst, Math.abs(graph[i][j] - sampler[j]));
            }
        }
        if (!(worst <= tolerance)) {
            throw new IllegalStateException(String.format("step %d: the training graph's log-probabilities differ from "
                    + "the sampler's by %.4g nats (tolerance %.3g): the rollout and training paths disagree",
                    step + 1, worst, tolerance));
        }
        return worst;
    }
}
