package rlhf4j.config;

import static rlhf4j.config.Check.require;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code distributed} section: whether the gradient stages compute their micro-batches, and the RL stages sample
 * their answers, on Apache Spark, and where. Empty {@code master} and no {@code spark.master} from {@code spark-submit}: one JVM, as always.
 */
public record DistributedConfig(
        @Doc("Spark master (local[2], local-cluster[2,1,2048], spark://HOST:7077); empty: one JVM, or spark-submit's --master") String master,
        @Doc("Spark tasks per step, at most the stage's grad_accum_steps micro-batches (or its rollout_batch chunks for ppo and grpo); 0: one per micro-batch or chunk") int workers,
        @Doc("JVM options added for each executor (Spark adds the modules and opens it needs itself)") String executorJavaOptions) {

    public DistributedConfig {
        require(master != null, "master", "must be given (empty for one JVM)");
        Matcher local = Pattern.compile("local(?:-cluster)?\\[([0-9, ]+)\\]").matcher(master);
        if (local.matches()) {
            for (String n : local.group(1).split(",")) {
                String d = n.strip().replaceFirst("^0+(?=.)", "");
                require(!d.isEmpty() && !d.equals("0") && d.length() <= 9, "master",
                        "'%s': every count in local[N] or local-cluster[N,CORES,MB] must be a whole number from 1 up", master);
            }
        }
        require(workers >= 0, "workers", "must not be negative, got %d", workers);
        require(executorJavaOptions != null, "executor_java_options", "must be given (may be empty)");
    }

    public static DistributedConfig defaults() {
        return new DistributedConfig("", 0,
                "-Dorg.bytedeco.javacpp.maxbytes=3g -Dorg.bytedeco.javacpp.maxphysicalbytes=6g");
    }

    /** Spark's master for this run: the config's, else spark-submit's ({@code spark.master}), else null (one JVM). */
    public String effectiveMaster() {
        if (!master.isBlank()) {
            return master;
        }
        String submitted = System.getProperty("spark.master");
        return submitted == null || submitted.isBlank() ? null : submitted;
    }
}
