package rlhf4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;

/**
 * Preallocated keys and values of every layer for B sequences of up to {@code capacity} positions,
 * plus which cached positions hold real tokens (left padding does not). It holds the model's Hkv
 * key/value heads ({@link GptSpec#nKvHead}), which grouped-query attention shares among the query heads.
 */
public final class KvCache {
    final INDArray[] keys;    // per layer [B, Hkv, capacity, D], or [B, Hkv, D, keyStride] when keysTransposed
    final INDArray[] values;  // per layer [B, Hkv, capacity, D]
    final int[] keyValid;     // [B * capacity], 1 for a real token
    final int batch;
    final int capacity;
    final boolean keysTransposed;  // the kernels' layout (FloatKernels#cachedAttention)
    final int keyStride;           // positions per row of a transposed key plane: capacity, rounded up
    int length;

    KvCache(int layers, int batch, int heads, int capacity, int headDim, DataType dtype, boolean keysTransposed) {
        this.keys = new INDArray[layers];
        this.values = new INDArray[layers];
        this.keysTransposed = keysTransposed;
        int multiple = FloatKernels.KEY_STRIDE_MULTIPLE;
        this.keyStride = keysTransposed ? (capacity + multiple - 1) / multiple * multiple : capacity;
        for (int l = 0; l < layers; l++) {
            keys[l] = keysTransposed ? Nd4j.zeros(dtype, batch, heads, headDim, keyStride)
                    : Nd4j.zeros(dtype, batch, heads, capacity, headDim);
            values[l] = Nd4j.zeros(dtype, batch, heads, capacity, headDim);
        }
        this.keyValid = new int[batch * capacity];
        this.batch = batch;
        this.capacity = capacity;
    }

    /** Layer l's keys (transposed for the kernels) as native-order bytes: FLOAT or BFLOAT16 elements. */
    ByteBuffer keyData(int l) {
        return keys[l].data().asNio().order(ByteOrder.nativeOrder());
    }

    /** Layer l's values as native-order bytes. */
    ByteBuffer valueData(int l) {
        return values[l].data().asNio().order(ByteOrder.nativeOrder());
    }

    /** Whether the caches hold bfloat16 (the BF16 kernels' decoding). */
    boolean bf16() {
        return keys.length > 0 && keys[0].dataType() == DataType.BFLOAT16;
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Row to[m] of {@code a} [B, H, ·, ·] becomes what row from[m] was, in place in its native buffer. Per row and
     * head, the first {@code filled} elements of its plane are copied: the filled positions of [capacity, D], all
     * of a transposed [D, capacity].
     */
    private void copyRows(INDArray a, int[] to, int[] from, int filled) {
        ByteBuffer buf = a.data().asNio();                       // the array's own memory, C order
        int heads = (int) a.size(1);
        int width = a.dataType().width();
        int chunk = filled * width;                              // bytes copied of one head's plane
        int headStride = (int) (a.size(2) * a.size(3)) * width;
        byte[] sources = new byte[from.length * heads * chunk];  // the source rows first: a row may be both
        for (int m = 0; m < from.length; m++) {
            for (int h = 0; h < heads; h++) {
                buf.get((from[m] * heads + h) * headStride, sources, (m * heads + h) * chunk, chunk);
            }
        }
        for (int m = 0; m < to.length; m++) {
            for (int h = 0; h < heads; h++) {
                buf.put((to[m] * heads + h) * headStride, sources, (m * heads + h) * chunk, chunk);
            }
        }
    }

    /** Rows (sequences) in the cache. */
    public int batch() {
        return batch;
    }

    /**
     * Makes row r hold what row {@code source[r]} held, in every layer (beam search keeps the best
     * continuations, several of which may share a parent). Rows whose source is themselves are not copied.
     */
    public void reorder(int[] source) {
        if (source.length != batch) {
            throw new IllegalArgumentException(source.length + " sources for " + batch + " rows");
        }
        int moved = 0;
        for (int r = 0; r < batch; r++) {
            if (source[r] < 0 || source[r] >= batch) {
                throw new IllegalArgumentException("source row " + source[r] + " outside [0, " + batch + ")");
            }
            moved += source[r] == r ? 0 : 1;
        }
        if (moved == 0) {
            return;
        }
        int[] to = new int[moved];
        int[] from = new int[moved];
        for (int r = 0, m = 0; r < batch; r++) {
            if (source[r] != r) {
                to[m] = r;
                from[m++] = source[r];
            }
        }
        for (int l = 0; l < keys.length; l++) {
            int plane = (int) (keys[l].size(2) * keys[l].size(3));
            copyRows(keys[l], to, from, keysTransposed ? plane : length * (int) keys[l].size(3));
            copyRows(values[l], to, from, length * (int) values[l].size(3));
        }
        int[] valid = keyValid.clone();
        for (int m = 0; m < moved; m++) {
            System.arraycopy(valid, from[m] * capacity, keyValid, to[m] * capacity, capacity);
        }
    }
}
