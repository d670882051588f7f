package rlhf4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Gpt;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.MicroBatchRunner;
import rlhf4j.train.TrainingTask;

/**
 * A stage's micro-batches on Spark's executors: each step maps the stage's {@link MicroBatchGradient} over its
 * micro-batch numbers ({@link SparkModelMap}), each task computing a contiguous run of them on its own copy of the
 * model, and every micro-batch's result comes back separately, in micro-batch order. The driver then sums them in
 * that order, as in one JVM: the step does not depend on the number of workers. A task is a pure function of the
 * broadcast values and its micro-batch numbers, so Spark may rerun a lost or killed one and get the same bits.
 */
public final class SparkMicroBatches implements MicroBatchRunner {
    private final SparkModelMap<Index, Result> map;
    private final Map<String, INDArray> params;
    private final int workers;

    /** Micro-batch {@code micro} of step {@code step}. */
    record Index(int step, int micro) implements Serializable {}

    /** One micro-batch's result as it comes back to the driver. */
    record Result(double loss, WireTensors grads, long tokens, LinkedHashMap<String, Double> metrics)
            implements Serializable {}

    /**
     * @param gpt      the driver's model: its spec and engine, and its live parameters (read at each step)
     * @param workers  Spark tasks per step; 0 = one per micro-batch
     * @param ownsContext whether {@link #close} stops {@code spark}
     */
    public SparkMicroBatches(JavaSparkContext spark, Gpt gpt, MicroBatchGradient gradient, int workers,
                             boolean ownsContext) {
        this.map = new SparkModelMap<>(spark, gpt.spec(), gpt.engine(), (model, i) -> {
            TrainingTask.MicroStep ms = gradient.compute(model, i.step(), i.micro());
            return new Result(ms.loss(), WireTensors.of(ms.grads()), ms.tokens(), new LinkedHashMap<>(ms.metrics()));
        }, ownsContext);
        this.params = gpt.params();
        this.workers = workers;
    }

    @Override
    public List<TrainingTask.MicroStep> run(int step, int micros) {
        List<Index> order = new ArrayList<>(micros);
        for (int m = 0; m < micros; m++) {
            order.add(new Index(step, m));
        }
        List<TrainingTask.MicroStep> out = new ArrayList<>(micros);
        for (Result r : map.map(params, order, workers == 0 ? micros : workers)) {
            out.add(new TrainingTask.MicroStep(r.loss(), r.grads().toArrays(), r.tokens(), r.metrics()));
        }
        return out;
    }

    /** The JVMs ({@code host:pid}) that computed micro-batches so far. */
    public Set<String> executors() {
        return map.executors();
    }

    @Override
    public String describe() {
        return "distributed: micro-batches on Spark " + map.master() + " ("
                + (workers == 0 ? "one task per micro-batch" : "up to " + workers + " tasks per step") + ")";
    }

    @Override
    public void close() {
        map.close();
    }
}
