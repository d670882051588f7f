package rlhf4j.distributed;

import org.apache.spark.api.java.JavaSparkContext;
import rlhf4j.config.DistributedConfig;
import rlhf4j.model.Gpt;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.MicroBatchRunner;

/** A stage's Spark context and its micro-batch runner as one thing to close: the context stops with the stage. */
public final class SparkRunners {
    private SparkRunners() {}

    public static MicroBatchRunner open(DistributedConfig cfg, String master, String appName, Gpt gpt,
                                        MicroBatchGradient gradient) {
        JavaSparkContext spark = SparkCluster.open(cfg, master, appName);
        SparkMicroBatches batches;
        try {
            batches = new SparkMicroBatches(spark, gpt, gradient, cfg.workers());
        } catch (RuntimeException e) {
            spark.stop();
            throw e;
        }
        return new MicroBatchRunner() {
            @Override
            public java.util.List<rlhf4j.train.TrainingTask.MicroStep> run(int step, int micros) {
                return batches.run(step, micros);
            }

            @Override
            public String describe() {
                return batches.describe();
            }

            @Override
            public void close() {
                try {
                    batches.close();
                } finally {
                    spark.stop();
                }
            }
        };
    }
}
