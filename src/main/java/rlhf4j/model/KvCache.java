package rlhf4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Preallocated keys and values of every layer for B sequences of up to {@code capacity} positions,
 * plus which cached positions hold real tokens (left padding does not).
 */
public final class KvCache {
    final INDArray[] keys;    // per layer [B, H, capacity, D]
    final INDArray[] values;  // per layer [B, H, capacity, D]
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
                INDArray rows = a.reshape(batch, a.length() / batch);                     // [B, H*capacity*D], a view
                INDArray copies = Nd4j.pullRows(rows, 1, from);                           // [moved, H*capacity*D]
                for (int m = 0; m < moved; m++) {
                    rows.getRow(to[m]).assign(copies.getRow(m));
                }
            }
        }
        int[] valid = keyValid.clone();
        for (int m = 0; m < moved; m++) {
            System.arraycopy(valid, from[m] * capacity, keyValid, to[m] * capacity, capacity);
        }
    }
}
