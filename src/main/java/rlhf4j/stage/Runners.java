package rlhf4j.stage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import rlhf4j.config.ConfigException;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.distributed.SparkRunners;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.RolloutRunner;
import rlhf4j.rollout.RolloutSampling;
import rlhf4j.train.MicroBatchRunner;
import rlhf4j.train.TrainingTask;

/**
 * Where a stage's work runs: in this JVM, or on Apache Spark's executors when {@code distributed.master} (or
 * spark-submit) names a cluster. The one place that chooses, above the training loop ({@code train}) and the Spark
 * code ({@code distributed}), so neither reaches into the other.
 */
public final class Runners {
    private Runners() {}

    /** Where a gradient stage's micro-batches are computed (pretrain, sft, rm, dpo). */
    public static MicroBatchRunner microBatches(ExperimentConfig config, String stage, Gpt gpt, TrainingTask task) {
        String master = config.distributed().effectiveMaster();
        if (master == null) {
            return MicroBatchRunner.local(task);
        }
        if (task.gradient() == null) {
            throw new ConfigException("distributed.master: the " + stage + " stage cannot run on Spark");
        }
        requireSpark(master);
        return SparkRunners.microBatches(config.distributed(), master, "rlhf4j " + stage, gpt, task.gradient());
    }

    /** Where an RL stage's answers are sampled (ppo, grpo). */
    public static RolloutRunner rollouts(ExperimentConfig config, String stage, Gpt policy, RolloutSampling sampling) {
        String master = config.distributed().effectiveMaster();
        if (master == null) {
            return RolloutRunner.local(policy, sampling);
        }
        requireSpark(master);
        return SparkRunners.rollouts(config.distributed(), master, "rlhf4j " + stage, policy, sampling);
    }

    /** A config error unless Spark's classes are there (the launcher's classpath, or spark-submit's). */
    static void requireSpark(String master) {
        try {
            Class.forName("org.apache.spark.api.java.JavaSparkContext");
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ConfigException("distributed.master is " + master + " but Spark is not on the classpath: run"
                    + " through ./train (which adds target/spark-home/jars) or ./spark-train");
        }
        checkReachable(master);
    }

    /** Connect attempts to a standalone master give up after this long. */
    private static final int CONNECT_MILLIS = 5000;

    /**
     * A standalone master ({@code spark://HOST:PORT[,HOST:PORT]}) that does not resolve or where nothing listens
     * is a config error now, in one line; Spark itself would retry for a minute and end in pages of traces.
     */
    static void checkReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException("distributed.master: '" + hostPort + "' has no port number");
            }
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new ConfigException("distributed.master: cannot resolve the host '" + host + "' of " + master);
            }
            try (Socket s = new Socket()) {
                s.connect(address, CONNECT_MILLIS);
                return;                                             // one reachable master of a list is enough
            } catch (IOException e) {
                if (!master.contains(",")) {
                    throw new ConfigException("distributed.master: nothing answers at " + host + ":" + port + " ("
                            + e.getMessage() + "): is the Spark master running (scripts/spark-standalone)?");
                }
            }
        }
        throw new ConfigException("distributed.master: none of the masters in " + master + " answers");
    }
}
