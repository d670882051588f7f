package rlhf4j.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;

/**
 * FLOAT buffers (and float[] scratch) handed out in order and handed out again, in the same order,
 * after {@link #reset}: passes of one model allocate the same sequence of arrays, so after the first
 * pass nothing is allocated. Each position in that sequence keeps one native buffer, as large as the
 * largest array asked for there, and hands out exact-shape arrays over its first elements — so
 * passes whose lengths differ (SFT's and PPO's batches are padded to multiples of 16) reuse the same
 * memory instead of allocating per length. A buffer's contents are whatever the previous pass left
 * in it. The native views the kernels read of its buffers and of the parameters are kept too
 * ({@link #view}), made once per array rather than on every pass. (Not for key/value caches: a cache
 * lives for one generation, and a kept view would keep its memory.)
 */
final class Arena {
    private static final int MAX_VIEWS = 8192;

    /** One position of the sequence: its buffer and the arrays already made over it, by shape. */
    private static final class Slot {
        DataBuffer buffer;
        long capacity;
        final Map<List<Long>, INDArray> arrays = new HashMap<>();
    }

    private final List<Slot> slots = new ArrayList<>();
    private final List<float[]> scratch = new ArrayList<>();
    private final Map<INDArray, ByteBuffer> views = new IdentityHashMap<>();
    private int next;
    private int nextScratch;

    void reset() {
        next = 0;
        nextScratch = 0;
    }

    /** The next buffer, of this shape (uninitialised). */
    INDArray take(long... shape) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        if (next == slots.size()) {
            slots.add(new Slot());
        }
        Slot slot = slots.get(next++);
        if (slot.capacity < length) {
            slot.arrays.values().forEach(views::remove);
            slot.arrays.clear();
            slot.buffer = Nd4j.createBuffer(DataType.FLOAT, length, false);
            slot.capacity = length;
        }
        List<Long> key = new ArrayList<>(shape.length);
        for (long d : shape) {
            key.add(d);
        }
        INDArray a = slot.arrays.get(key);
        if (a == null) {
            DataBuffer data = length == slot.capacity ? slot.buffer : Nd4j.createBuffer(slot.buffer, 0, length);
            a = Nd4j.create(data, shape);
            slot.arrays.put(key, a);
        }
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
