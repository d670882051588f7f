package rlhf4j.distributed;

import java.io.Serializable;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.nn.VectorSupport;

/**
 * One function of a model, mapped over a list of inputs on Spark's executors: the function (with whatever data it
 * carries) is broadcast once, the parameters once per call, and each task runs it on its inputs with one model built
 * from them (the function must not change the model). Results come back in input order ({@code collect} keeps partition order, whichever task ends first). Each
 * result carries the vector width it was computed with; a width other than the driver's is an error, since the
 * kernels' bits depend on it. The function must be pure (Spark may run a task twice).
 *
 * @param <P> an input
 * @param <R> its result
 */
public final class SparkModelMap<P extends Serializable, R extends Serializable> implements AutoCloseable {
    /** The function an executor runs. */
    @FunctionalInterface
    public interface Fn<P, R> extends Serializable {
        R apply(Gpt gpt, P input) throws Exception;
    }

    /** What every task needs besides the parameters. */
    private record Work<P, R>(GptSpec spec, Engine engine, Fn<P, R> fn) implements Serializable {}

    /** A result, with the vector width, the matrix products and the JVM ({@code host:pid}) that computed it. */
    private record Tagged<R>(R value, int lanes, String matmul, String executor) implements Serializable {}

    private final JavaSparkContext spark;
    private final Broadcast<Work<P, R>> work;
    private final int driverLanes = VectorSupport.lanes();
    private final String driverMatmul;
    private final Set<String> executors = new TreeSet<>();
    private final boolean ownsContext;

    /** @param ownsContext whether {@link #close} stops {@code spark} too (a stage's own context) */
    public SparkModelMap(JavaSparkContext spark, GptSpec spec, Engine engine, Fn<P, R> fn, boolean ownsContext) {
        this.spark = spark;
        this.ownsContext = ownsContext;
        this.driverMatmul = engine.products();
        try {
            this.work = spark.broadcast(new Work<>(spec, engine, fn));
        } catch (RuntimeException e) {
            if (ownsContext) {
                spark.stop();
            }
            throw e;
        }
    }

    /** {@code fn} of a model with {@code params} on each input, in input order, in at most {@code tasks} Spark tasks. */
    public List<R> map(Map<String, INDArray> params, List<P> inputs, int tasks) {
        Broadcast<WireTensors> weights = spark.broadcast(WireTensors.of(params));
        try {
            Broadcast<Work<P, R>> w = work;
            List<Tagged<R>> tagged = spark.parallelize(inputs, Math.max(1, Math.min(tasks, inputs.size())))
                    .mapPartitions(part -> {                    // one model per task, for all of its inputs
                        Work<P, R> job = w.value();
                        Gpt gpt = new Gpt(job.spec(), weights.value().toArrays(), job.engine());
                        String executor = InetAddress.getLocalHost().getHostName() + ":"
                                + ProcessHandle.current().pid();
                        String matmul = job.engine().products();
                        List<Tagged<R>> out = new ArrayList<>();
                        while (part.hasNext()) {
                            out.add(new Tagged<>(job.fn().apply(gpt, part.next()), VectorSupport.lanes(), matmul,
                                    executor));
                        }
                        return out.iterator();
                    }).collect();
            List<R> out = new ArrayList<>(tagged.size());
            for (Tagged<R> t : tagged) {
                if (t.lanes() != driverLanes) {
                    throw new IllegalStateException("executor " + t.executor() + " computes with " + t.lanes()
                            + "-float vectors, this driver with " + driverLanes + ": the results would differ from"
                            + " one machine's; run the cluster on one CPU type (docs/DISTRIBUTED.md)");
                }
                if (!t.matmul().equals(driverMatmul)) {
                    throw new IllegalStateException("executor " + t.executor() + " computes its matrix products with "
                            + t.matmul() + ", this driver with " + driverMatmul + ": the results would differ from"
                            + " one machine's; run the cluster on one CPU type (docs/DISTRIBUTED.md)");
                }
                executors.add(t.executor());
                out.add(t.value());
            }
            return out;
        } finally {
            weights.destroy();
        }
    }

    /** The JVMs ({@code host:pid}) that computed results so far. */
    public Set<String> executors() {
        return Collections.unmodifiableSet(executors);
    }

    public String master() {
        return spark.master();
    }

    @Override
    public void close() {
        try {
            work.destroy();
        } finally {
            if (ownsContext) {
                spark.stop();
            }
        }
    }
}
