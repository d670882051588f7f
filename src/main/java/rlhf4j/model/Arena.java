package rlhf4j.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;

/**
 * FLOAT buffers (and float[] scratch) handed out in order and handed out again, in the same order,
 * after {@link #reset}: passes of one shape allocate the same sequence of arrays, so after the first
 * pass nothing is allocated. A buffer's contents are whatever the previous pass left in it. The
 * native views the kernels read of its buffers and of the parameters are kept too ({@link #view}),
 * made once per array rather than on every pass. (Not for key/value caches: a cache lives for one
 * generation, and a kept view would keep its memory.)
 */
final class Arena {
    private static final int MAX_VIEWS = 8192;

    private final List<INDArray> buffers = new ArrayList<>();
    private final List<float[]> scratch = new ArrayList<>();
    private final Map<INDArray, ByteBuffer> views = new IdentityHashMap<>();
    private int next;
    private int nextScratch;
    private Rotary rotary;

    void reset() {
        next = 0;
        nextScratch = 0;
    }

    /** The next buffer, of this shape (uninitialised). */
    INDArray take(long... shape) {
        if (next < buffers.size() && java.util.Arrays.equals(buffers.get(next).shape(), shape)) {
            return buffers.get(next++);
        }
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
        if (next < buffers.size()) {
            views.remove(buffers.get(next));
            buffers.set(next, a);
        } else {
            buffers.add(a);
        }
        next++;
        return a;
    }

    /** The next float[] of this length (contents undefined). */
    float[] floats(int length) {
        if (nextScratch < scratch.size() && scratch.get(nextScratch).length == length) {
            return scratch.get(nextScratch++);
        }
        float[] a = new float[length];
        if (nextScratch < scratch.size()) {
            scratch.set(nextScratch, a);
        } else {
            scratch.add(a);
        }
        nextScratch++;
        return a;
    }

    /** The rotary angle tables of {@code spec}, made once (an arena serves one model). */
    Rotary rotary(GptSpec spec) {
        if (rotary == null || !rotary.serves(spec)) {
            rotary = new Rotary(spec);
        }
        return rotary;
    }

    /** The native view of a dense FLOAT array (an arena buffer or a parameter), made once per array. */
    ByteBuffer view(INDArray a) {
        ByteBuffer b = views.get(a);
        if (b == null) {
            if (views.size() >= MAX_VIEWS) {
                views.clear();  // parameters replaced many times over: forget the old ones
            }
            b = FloatKernels.buffer(a);
            views.put(a, b);
        }
        return b;
    }
}
