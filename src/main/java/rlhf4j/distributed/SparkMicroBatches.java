package rlhf4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.nn.VectorSupport;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.MicroBatchRunner;
import rlhf4j.train.TrainingTask;

/**
 * A stage's micro-batches on Spark's executors. The stage's {@link MicroBatchGradient} (its data and settings) is
 * broadcast once; each step broadcasts the parameters, runs one Spark job whose tasks each compute a contiguous run
 * of micro-batches on their own copy of the model, and collects every micro-batch's result separately, in
 * micro-batch order ({@code collect} keeps partition order, whichever task ends first). The driver then sums them in
 * that order, as in one JVM: the step does not depend on the number of workers. A task is a pure function of the
 * broadcast values and its micro-batch numbers, so Spark may rerun a lost or killed one and get the same bits.
 */
public final class SparkMicroBatches implements MicroBatchRunner {
    private final JavaSparkContext spark;
    private final Map<String, INDArray> params;
    private final Broadcast<Work> work;
    private final int workers;
    private final int driverLanes = VectorSupport.lanes();
    private final java.util.Set<String> executors = new java.util.TreeSet<>();

    /** What every task of the stage needs besides the parameters. */
    record Work(GptSpec spec, Gpt.Engine engine, MicroBatchGradient gradient) implements Serializable {}

    /** One micro-batch's result as it comes back to the driver. */
    record Result(double loss, WireTensors grads, long tokens, LinkedHashMap<String, Double> metrics, int lanes,
                  String executor) implements Serializable {}

    /**
     * @param params   the driver's live parameters (read at each step)
     * @param workers  Spark tasks per step; 0 = one per micro-batch
     */
    public SparkMicroBatches(JavaSparkContext spark, Gpt gpt, MicroBatchGradient gradient, int workers) {
        this.spark = spark;
        this.params = gpt.params();
        this.work = spark.broadcast(new Work(gpt.spec(), gpt.engine(), gradient));
        this.workers = workers;
    }

    @Override
    public List<TrainingTask.MicroStep> run(int step, int micros) {
        Broadcast<WireTensors> weights = spark.broadcast(WireTensors.of(params));
        try {
            int tasks = workers == 0 ? micros : Math.min(workers, micros);
            List<Integer> order = new ArrayList<>(micros);
            for (int m = 0; m < micros; m++) {
                order.add(m);
            }
            List<Result> results = spark.parallelize(order, tasks).map(new Compute(work, weights, step)).collect();
            List<TrainingTask.MicroStep> out = new ArrayList<>(micros);
            for (Result r : results) {
                if (r.lanes() != driverLanes) {
                    throw new IllegalStateException("executor " + r.executor() + " computes with " + r.lanes()
                            + "-float vectors, this driver with " + driverLanes + ": the results would differ from"
                            + " one machine's; run the cluster on one CPU type (docs/DISTRIBUTED.md)");
                }
                executors.add(r.executor());
                out.add(new TrainingTask.MicroStep(r.loss(), r.grads().toArrays(), r.tokens(), r.metrics()));
            }
            return out;
        } finally {
            weights.destroy();
        }
    }

    /** The JVMs ({@code host:pid}) that computed micro-batches so far. */
    public java.util.Set<String> executors() {
        return java.util.Collections.unmodifiableSet(executors);
    }

    @Override
    public String describe() {
        return "distributed: micro-batches on Spark " + spark.master() + " ("
                + (workers == 0 ? "one task per micro-batch" : "up to " + workers + " tasks per step") + ")";
    }

    @Override
    public void close() {
        work.destroy();
    }

    /** The task: micro-batch number → its result, on a model built from the broadcast parameters. */
    private record Compute(Broadcast<Work> work, Broadcast<WireTensors> weights, int step)
            implements Function<Integer, Result> {
        @Override
        public Result call(Integer micro) throws Exception {
            Work w = work.value();
            Gpt gpt = new Gpt(w.spec(), weights.value().toArrays(), w.engine());
            TrainingTask.MicroStep ms = w.gradient().compute(gpt, step, micro);
            return new Result(ms.loss(), WireTensors.of(ms.grads()), ms.tokens(), new LinkedHashMap<>(ms.metrics()),
                    VectorSupport.lanes(), java.net.InetAddress.getLocalHost().getHostName() + ":"
                    + ProcessHandle.current().pid());
        }
    }
}
