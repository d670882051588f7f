package rlhf4j.model;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * FLOAT buffers handed out in order and handed out again, in the same order, after {@link #reset}:
 * passes of one shape allocate the same sequence of arrays, so after the first pass nothing is
 * allocated. A buffer's contents are whatever the previous pass left in it.
 */
final class Arena {
    private final List<INDArray> buffers = new ArrayList<>();
    private int next;

    void reset() {
        next = 0;
    }

    /** The next buffer, of this shape (uninitialised). */
    INDArray take(long... shape) {
        if (next < buffers.size() && java.util.Arrays.equals(buffers.get(next).shape(), shape)) {
            return buffers.get(next++);
        }
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
        if (next < buffers.size()) {
            buffers.set(next, a);
        } else {
            buffers.add(a);
        }
        next++;
        return a;
    }
}
