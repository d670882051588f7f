package rlhf4j.distributed;

import rlhf4j.config.DistributedConfig;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.MicroBatchRunner;

/** A stage's runners on a Spark context of their own, stopped when the runner is closed at the stage's end. */
public final class SparkRunners {
    private SparkRunners() {}

    public static MicroBatchRunner microBatches(DistributedConfig cfg, String master, String appName, Gpt gpt,
                                                MicroBatchGradient gradient) {
        return new SparkMicroBatches(SparkCluster.open(cfg, master, appName), gpt, gradient, cfg.workers(), true);
    }

    public static RolloutRunner rollouts(DistributedConfig cfg, String master, String appName, Gpt policy,
                                         RolloutSampling sampling) {
        return new SparkRollouts(SparkCluster.open(cfg, master, appName), policy, sampling, cfg.workers(), true);
    }
}
