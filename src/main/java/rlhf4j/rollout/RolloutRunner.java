package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.generate.Sampler;
import rlhf4j.model.Gpt;

/**
 * Where an RL step's (PPO, GRPO) chunks of prompts are answered: here on the driver's policy ({@link #local}), or on Spark's
 * executors ({@code rlhf4j.distributed.SparkRollouts}); either way the answers come back in chunk order.
 */
public interface RolloutRunner extends AutoCloseable {
    /** Each chunk's answers, in order. */
    List<List<Sampler.Generation>> run(List<RolloutSampling.Chunk> chunks);

    /** What the stage prints about where its rollouts run (null: nothing, one JVM). */
    default String describe() {
        return null;
    }

    @Override
    default void close() {}

    public static RolloutRunner local(Gpt policy, RolloutSampling sampling) {
        return chunks -> {
            List<List<Sampler.Generation>> out = new ArrayList<>(chunks.size());
            for (RolloutSampling.Chunk c : chunks) {
                out.add(sampling.sample(policy, c));
            }
            return out;
        };
    }
}
