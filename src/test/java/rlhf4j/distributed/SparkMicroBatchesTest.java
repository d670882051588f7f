package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.config.DistributedConfig;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.optim.AdamW;
import rlhf4j.stage.pretrain.PretrainTask;
import rlhf4j.train.GradientStep;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.MicroBatchRunner;
import rlhf4j.train.TrainingTask;

/**
 * Synchronous data parallelism on separate executor JVMs ({@code local-cluster[2,1,1024]}: a Spark master, a worker
 * and two executor processes started from this one): training steps whose micro-batches ran on 1, 2 or 4 Spark tasks
 * end bitwise equal — weights and AdamW state — to the same steps accumulated in this JVM; summing the same
 * micro-batches in reverse order does not (the negative control: the check can see an order change); an executor
 * killed mid-step, or a task that fails once, is rerun by Spark and changes nothing.
 */
class SparkMicroBatchesTest {
    private static final int MICROS = 4;
    private static final int STEPS = 3;
    private static final GptSpec SPEC = new GptSpec(2, 2, 16, 16, 64);
    private static JavaSparkContext spark;
    private static Map<String, byte[]> oneJvm;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
        String master = "local-cluster[2,1,1024]";
        spark = SparkCluster.open(new DistributedConfig(master, 0, ""), master, "SparkMicroBatchesTest");
        awaitExecutors(2);
        oneJvm = train(gpt -> MicroBatchRunner.local(task(gpt, gradient())));
    }

    /** Waits until {@code n} executors have registered (they are JVMs starting up; Spark does not wait for them). */
    static void awaitExecutors(int n) throws InterruptedException {
        for (int i = 0; i < 600 && spark.sc().getExecutorMemoryStatus().size() < n + 1; i++) {   // + the driver
            Thread.sleep(100);
        }
        Thread.sleep(500);                              // and let the last one offer its core
        assertEquals(n + 1, spark.sc().getExecutorMemoryStatus().size(), "executors registered, driver included");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Pretraining windows over a fixed random token stream. */
    private static MicroBatchGradient gradient() {
        Random rng = new Random(3);
        int[] stream = new int[2000];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = rng.nextInt(SPEC.vocabSize());
        }
        return new PretrainTask.Windows(stream, 4, SPEC.blockSize(), 11);
    }

    /** The task a local runner loops over: the same function on the driver's model. */
    private static TrainingTask task(Gpt gpt, MicroBatchGradient g) {
        return new TrainingTask() {
            @Override
            public MicroStep microStep(int step, int micro) {
                return g.compute(gpt, step, micro);
            }

            @Override
            public Map<String, Double> evaluate(int step) {
                return Map.of();
            }

            @Override
            public List<String> samples(int step) {
                return List.of();
            }
        };
    }

    /** {@link #STEPS} steps of {@link #MICROS} micro-batches from a fixed start; the weights' and AdamW's bytes. */
    private static Map<String, byte[]> train(Function<Gpt, MicroBatchRunner> runnerFor) {
        Gpt gpt = Gpt.create(SPEC, DataType.FLOAT, 5, 0.02);
        AdamW adam = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.gpt2DecayRule(false));
        try (MicroBatchRunner runner = runnerFor.apply(gpt)) {
            GradientStep step = new GradientStep(runner, gpt.params(), adam, MICROS, 1.0, false);
            for (int s = 0; s < STEPS; s++) {
                step.run(s, 3e-3);
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        gpt.params().forEach((k, v) -> out.put("param " + k, bytes(v)));
        adam.state().forEach((k, v) -> out.put("adam " + k, bytes(v)));
        return out;
    }

    private static byte[] bytes(INDArray a) {
        return a.data().asBytes();
    }

    private static void assertSameBits(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        expected.forEach((k, v) -> assertTrue(Arrays.equals(v, actual.get(k)), what + ": " + k + " differs"));
    }

    private static SparkMicroBatches onSpark(Gpt gpt, MicroBatchGradient g, int workers) {
        return new SparkMicroBatches(spark, gpt, g, workers, false);
    }

    @Test
    void oneTwoOrFourTasksPerStepEndOnTheBitsOfOneJvm() throws InterruptedException {
        awaitExecutors(2);                              // the kill test's executor may still be restarting
        List<SparkMicroBatches> used = new ArrayList<>();
        for (int workers : new int[] {0, 2, 1}) {
            Map<String, byte[]> got = train(gpt -> {
                SparkMicroBatches r = onSpark(gpt, gradient(), workers);
                used.add(r);
                return r;
            });
            assertSameBits(oneJvm, got, "workers " + workers);
        }
        String driver = ProcessHandle.current().pid() + "";
        for (SparkMicroBatches r : used) {
            assertFalse(r.executors().isEmpty());
            r.executors().forEach(e -> assertFalse(e.endsWith(":" + driver), "computed in an executor JVM: " + e));
        }
        assertEquals(2, used.get(0).executors().size(), "four tasks spread over both executors: " + used.get(0).executors());
    }

    @Test
    void summingInAnotherOrderChangesTheBits() {
        Map<String, byte[]> reversed = train(gpt -> {
            MicroBatchRunner local = MicroBatchRunner.local(task(gpt, gradient()));
            return (step, micros) -> {
                List<TrainingTask.MicroStep> out = new ArrayList<>(local.run(step, micros));
                Collections.reverse(out);
                return out;
            };
        });
        boolean differs = oneJvm.entrySet().stream().anyMatch(e -> !Arrays.equals(e.getValue(), reversed.get(e.getKey())));
        assertTrue(differs, "the reversed sum must differ somewhere, or the equality above proves nothing");
    }

    @Test
    void aKilledExecutorOrAFailedTaskIsRerunWithTheSameResult() {
        Map<String, byte[]> killed = train(gpt -> onSpark(gpt, new FailsOnce(gradient(), 1, 2, true), 0));
        assertSameBits(oneJvm, killed, "an executor killed in step 2");
        Map<String, byte[]> failed = train(gpt -> onSpark(gpt, new FailsOnce(gradient(), 2, 1, false), 2));
        assertSameBits(oneJvm, failed, "a task failed in step 3");
    }

    /**
     * The first attempt of micro-batch {@code micro} of step {@code step} dies: its executor JVM halts (as if killed
     * with SIGKILL) or its task throws. Later attempts compute normally.
     */
    private record FailsOnce(MicroBatchGradient inner, int step, int micro, boolean killJvm) implements MicroBatchGradient {
        @Override
        public TrainingTask.MicroStep compute(Gpt gpt, int s, int m) {
            TaskContext task = TaskContext.get();
            if (s == step && m == micro && task != null && task.attemptNumber() == 0) {
                if (killJvm) {
                    Runtime.getRuntime().halt(137);
                }
                throw new IllegalStateException("injected task failure");
            }
            return inner.compute(gpt, s, m);
        }
    }
}
