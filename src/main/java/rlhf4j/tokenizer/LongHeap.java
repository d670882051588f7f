package rlhf4j.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs, without boxing; used for BPE's (rank, position) candidates. */
final class LongHeap {
    private long[] data;
    private int size;

    LongHeap(int capacity) {
        data = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long value) {
        if (size == data.length) {
            data = Arrays.copyOf(data, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (data[parent] <= value) {
                break;
            }
            data[i] = data[parent];
            i = parent;
        }
        data[i] = value;
    }

    long pop() {
        long top = data[0];
        long last = data[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && data[child + 1] < data[child]) {
                child++;
            }
            if (last <= data[child]) {
                break;
            }
            data[i] = data[child];
            i = child;
        }
        data[i] = last;
        return top;
    }
}
