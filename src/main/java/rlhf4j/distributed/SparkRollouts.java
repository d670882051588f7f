package rlhf4j.distributed;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import rlhf4j.generate.Sampler;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;

/**
 * An RL stage's rollouts (PPO, GRPO) on Spark's executors: each step broadcasts the policy's parameters and maps its chunks of prompts to
 * their answers ({@link SparkModelMap}), back in chunk order. What the driver does with them (the scoring passes and
 * the update) is unchanged.
 */
public final class SparkRollouts implements RolloutRunner {
    private final SparkModelMap<RolloutSampling.Chunk, ArrayList<Sampler.Generation>> map;
    private final Gpt policy;
    private final int workers;

    /**
     * @param workers     Spark tasks per step; 0 = one per chunk
     * @param ownsContext whether {@link #close} stops {@code spark}
     */
    public SparkRollouts(JavaSparkContext spark, Gpt policy, RolloutSampling sampling, int workers, boolean ownsContext) {
        this.map = new SparkModelMap<>(spark, policy.spec(), policy.engine(), sampling::sample, ownsContext);
        this.policy = policy;
        this.workers = workers;
    }

    @Override
    public List<List<Sampler.Generation>> run(List<RolloutSampling.Chunk> chunks) {
        return new ArrayList<>(map.map(policy.params(), chunks, workers == 0 ? chunks.size() : workers));
    }

    @Override
    public String describe() {
        return "distributed: rollouts on Spark " + map.master() + " ("
                + (workers == 0 ? "one task per rollout_batch chunk" : "up to " + workers + " tasks per step") + ")";
    }

    @Override
    public void close() {
        map.close();
    }
}
