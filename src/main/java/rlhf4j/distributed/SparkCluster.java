package rlhf4j.distributed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import rlhf4j.config.ConfigException;
import rlhf4j.config.DistributedConfig;
import rlhf4j.nn.VectorSupport;

/**
 * Opens the Spark context a distributed stage computes on. What bitwise equality with one JVM needs is pinned for
 * every executor: one OpenMP and one OpenBLAS thread (the driver's setting, as the launcher exports them), the
 * driver's engine and the driver's vector width for the kernels; each result's width is checked too ({@link
 * SparkModelMap}). Settings given by
 * {@code spark-submit} or {@code spark.*} system properties are kept; these are only defaults.
 */
public final class SparkCluster {
    private SparkCluster() {}

    public static JavaSparkContext open(DistributedConfig cfg, String master, String appName) {
        SparkConf conf = new SparkConf(true).setAppName(appName);
        if (!cfg.master().isBlank()) {
            conf.setMaster(master);
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        for (String name : new String[] {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
            String threads = System.getenv(name);
            conf.setIfMissing("spark.executorEnv." + name, threads == null ? "1" : threads);
        }
        String engine = System.getProperty("rlhf4j.engine");
        String options = cfg.executorJavaOptions() + (engine == null ? "" : " -Drlhf4j.engine=" + engine)
                + " " + VectorSupport.pinLanesOption();
        conf.set("spark.executor.extraJavaOptions", (conf.get("spark.executor.extraJavaOptions", "") + " " + options).trim());
        if (master.startsWith("local")) {                 // everything on this machine: stay on the loopback
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        if (master.startsWith("local-cluster")) {
            // executors are separate JVMs started from this one: give them this JVM's classes
            conf.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        }
        Path scratch = Path.of(System.getProperty("java.io.tmpdir"), "rlhf4j-spark");
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + scratch, e);
        }
        conf.setIfMissing("spark.local.dir", scratch.toString());
        try {
            return new JavaSparkContext(conf);
        } catch (Exception e) {                           // Scala throws SparkException unchecked
            if (String.valueOf(e.getMessage()).contains("Master URL")) {          // a master Spark cannot parse
                throw new ConfigException("distributed.master: " + e.getMessage()
                        + " (local[N], local-cluster[N,cores,MB], spark://HOST:PORT, yarn, k8s://...)", e);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
    }
}
