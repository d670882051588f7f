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
}
