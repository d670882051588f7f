package rlhf4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link ScalarHead#LAST_TOKEN} placeholder of a right-padded batch: a one-hot row per sequence
 * marking its last non-padding position, where the scalar head's score is read.
 */
public final class LastToken {
    private LastToken() {}

    /** Index of the last valid position of each row [B]; every row must hold at least one valid token. */
    public static int[] indices(TokenBatch batch) {
        int b = batch.batch();
        int t = batch.seqLen();
        int[] last = new int[b];
        for (int i = 0; i < b; i++) {
            last[i] = -1;
            for (int j = 0; j < t; j++) {
                if (batch.keyValid() == null || batch.keyValid()[i * t + j] != 0) {
                    last[i] = j;
                }
            }
            if (last[i] < 0) {
                throw new IllegalArgumentException("row " + i + " of the batch holds no token");
            }
        }
        return last;
    }

    /** One-hot [B, T]: 1 at each row's last non-padding token. */
    public static INDArray onehot(TokenBatch batch, DataType dtype) {
        int[] last = indices(batch);
        INDArray m = Nd4j.zeros(dtype, batch.batch(), batch.seqLen());                   // [B, T]
        for (int i = 0; i < last.length; i++) {
            m.putScalar(i, last[i], 1.0);
        }
        return m;
    }
}
