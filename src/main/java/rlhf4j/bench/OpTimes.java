package rlhf4j.bench;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A SameDiff listener that times every op execution (from {@code preOpExecution} to {@code
 * opExecution}: the native op and whatever the session does around its call) and sums the times
 * by op type ({@code matmul}, {@code matmul_bp}, {@code layer_norm_bp}, ...). Attached to a graph,
 * it also sees the ops of the graph's gradient function, which SameDiff runs with the parent's
 * listeners. Time a step spends in the graph but outside every op is the executor's own overhead
 * (dependency tracking, shape inference, output allocation): the caller gets it by subtracting
 * {@link #totalNanos()} from the graph's wall time.
 */
final class OpTimes extends BaseListener {
    /** Summed time and call count of one op type. */
    static final class Entry {
        long nanos;
        long calls;
    }

    private final Map<String, Entry> byType = new HashMap<>();
    private long started;

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
        started = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext,
                            INDArray[] outputs) {
        long elapsed = System.nanoTime() - started;
        Entry e = byType.computeIfAbsent(op.getOp().opName(), k -> new Entry());
        e.nanos += elapsed;
        e.calls++;
    }

    /** Op type → summed time and calls (the live map). */
    Map<String, Entry> byType() {
        return byType;
    }

    long totalNanos() {
        long sum = 0;
        for (Entry e : byType.values()) {
            sum += e.nanos;
        }
        return sum;
    }

    void clear() {
        byType.clear();
    }
}
