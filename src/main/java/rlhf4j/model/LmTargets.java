package rlhf4j.model;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Builds the {@link LmHead}'s placeholders from next-token targets and a loss mask. */
public final class LmTargets {
    private LmTargets() {}

    /**
     * @param targets next-token ids [B*T]
     * @param mask    1 where the token counts towards the loss, 0 elsewhere [B*T]
     * @return {@code target_onehot} [B*T, V] and {@code target_weight} = mask/Σmask [B*T]
     */
    public static Map<String, INDArray> of(int[] targets, double[] mask, int vocab, DataType dtype) {
        int n = targets.length;
        double total = 0;
        for (double m : mask) {
            total += m;
        }
        INDArray onehot = Nd4j.zeros(dtype, n, vocab);                                  // [B*T, V]
        double[] weight = new double[n];
        for (int i = 0; i < n; i++) {
            onehot.putScalar(i, targets[i], 1.0);
            weight[i] = total > 0 ? mask[i] / total : 0.0;
        }
        return Map.of(
                LmHead.TARGET_ONEHOT, onehot,
                LmHead.TARGET_WEIGHT, Nd4j.create(weight, new long[] {n}, dtype));         // [B*T]
    }

    /** All-ones mask: every position counts. */
    public static Map<String, INDArray> of(int[] targets, int vocab, DataType dtype) {
        double[] mask = new double[targets.length];
        java.util.Arrays.fill(mask, 1.0);
        return of(targets, mask, vocab, dtype);
    }
}
