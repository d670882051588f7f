package rlhf4j.model;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Preallocated keys and values of every layer for B sequences of up to {@code capacity} positions,
 * plus which cached positions hold real tokens (left padding does not). It holds the model's Hkv
 * key/value heads ({@link GptSpec#nKvHead}), which grouped-query attention shares among the query heads.
 */
public final class KvCache {
    final INDArray[] keys;    // per layer [B, Hkv, capacity, D]
    final INDArray[] values;  // per layer [B, Hkv, capacity, D]
    final int[] keyValid;     // [B * capacity], 1 for a real token
    final int batch;
    final int capacity;
    int length;

    KvCache(int layers, int batch, int heads, int capacity, int headDim, DataType dtype) {
        this.keys = new INDArray[layers];
        this.values = new INDArray[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Nd4j.zeros(dtype, batch, heads, capacity, headDim);
            values[l] = Nd4j.zeros(dtype, batch, heads, capacity, headDim);
        }
        this.keyValid = new int[batch * capacity];
        this.batch = batch;
        this.capacity = capacity;
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Row to[m] of {@code a} [B, H, capacity, D] becomes what row from[m] was, in place in its native buffer. Only
     * the filled positions are copied: per row and head, the first {@code length} of {@code capacity} vectors.
     */
    private void copyRows(INDArray a, int[] to, int[] from) {
        ByteBuffer buf = a.data().asNio();                       // the array's own memory, C order
        int heads = (int) a.size(1);
        int width = a.dataType().width();
        int chunk = length * (int) a.size(3) * width;            // bytes of one head's filled positions
        int headStride = capacity * (int) a.size(3) * width;
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
        for (INDArray[] arrays : new INDArray[][] {keys, values}) {
            for (INDArray a : arrays) {
                copyRows(a, to, from);
            }
        }
        int[] valid = keyValid.clone();
        for (int m = 0; m < moved; m++) {
            System.arraycopy(valid, from[m] * capacity, keyValid, to[m] * capacity, capacity);
        }
    }
}
