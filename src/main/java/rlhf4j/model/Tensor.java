package rlhf4j.model;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A value of the kernel engine ({@link KernelOps}): a dense C-order FLOAT array and, when the
 * pass is recorded on a {@link Tape}, its gradient. The gradient is allocated when first written;
 * {@link #gradWritten} says whether it already holds a sum that later contributions add to
 * (the first contribution is written, not added, which saves clearing it).
 */
final class Tensor {
    final INDArray value;
    final ByteBuffer data;
    /** The parameter's name, or null for an activation. */
    final String name;
    final boolean needsGrad;
    INDArray grad;
    ByteBuffer gradData;
    boolean gradWritten;

    Tensor(INDArray value, ByteBuffer data, String name, boolean needsGrad) {
        this.value = value;
        this.data = data;
        this.name = name;
        this.needsGrad = needsGrad;
    }

    int rows() {
        return (int) value.size(0);
    }

    int cols() {
        return (int) (value.length() / value.size(0));
    }

    int length() {
        return (int) value.length();
    }
}
