package rlhf4j.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums gradients of several micro-batches into owned buffers and hands out their mean. The
 * buffers are reused after {@link #reset()}; the map returned by {@link #mean()} stays valid
 * until the next {@link #add} after a reset.
 */
public final class GradAccumulator {
    private final LinkedHashMap<String, INDArray> sums = new LinkedHashMap<>();
    private int count;
    private boolean averaged;

    /** Adds one micro-batch's gradients (same names every time); the inputs are not kept. */
    public void add(Map<String, INDArray> grads) {
        if (averaged) {
            throw new IllegalStateException("mean() was taken: reset() before adding again");
        }
        if (count == 0) {
            if (!sums.isEmpty() && !sums.keySet().equals(grads.keySet())) {
                sums.clear();
            }
            for (Map.Entry<String, INDArray> e : grads.entrySet()) {
                INDArray buf = sums.get(e.getKey());
                INDArray g = e.getValue();
                if (buf != null && buf.equalShapes(g) && buf.dataType() == g.dataType()) {
                    buf.assign(g);
                } else {
                    sums.put(e.getKey(), g.dup('c'));
                }
            }
        } else {
            if (!sums.keySet().equals(grads.keySet())) {
                throw new IllegalArgumentException("gradient names differ from the first micro-batch: "
                        + grads.keySet() + " vs " + sums.keySet());
            }
            for (Map.Entry<String, INDArray> e : grads.entrySet()) {
                sums.get(e.getKey()).addi(e.getValue());
            }
        }
        count++;
    }

    /** Number of micro-batches added since the last reset. */
    public int count() {
        return count;
    }

    /**
     * The mean of the added gradients: the buffers are divided by the count in place (once) and
     * returned as an unmodifiable map of owned arrays, which may be clipped in place.
     */
    public Map<String, INDArray> mean() {
        if (count == 0) {
            throw new IllegalStateException("no gradients accumulated");
        }
        if (!averaged) {
            if (count > 1) {
                for (INDArray buf : sums.values()) {
                    buf.divi(count);
                }
            }
            averaged = true;
        }
        return Collections.unmodifiableMap(sums);
    }

    /** Starts a new accumulation; the buffers are kept for reuse. */
    public void reset() {
        count = 0;
        averaged = false;
    }
}
