package rlhf4j.model;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
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
        INDArray onehot = oneHot(targets, vocab, dtype);                               // [B*T, V]
        double[] weight = new double[n];
        for (int i = 0; i < n; i++) {
            weight[i] = total > 0 ? mask[i] / total : 0.0;
        }
        return Map.of(
                LmHead.TARGET_ONEHOT, onehot,
                LmHead.TARGET_WEIGHT, Nd4j.create(weight, new long[] {n}, dtype));         // [B*T]
    }

    /**
     * One-hot rows [N, V] for targets [N], built by one native op (a putScalar per row cost 60 ms
     * for 2048 rows × 2048).
     */
    public static INDArray oneHot(int[] targets, int vocab, DataType dtype) {
        for (int t : targets) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("target " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        INDArray onehot = Nd4j.createUninitialized(dtype, targets.length, vocab);       // [N, V]
        Nd4j.exec(new OneHot(Nd4j.createFromArray(targets), onehot, vocab));
        return onehot;
    }

    /** All-ones mask: every position counts. */
    public static Map<String, INDArray> of(int[] targets, int vocab, DataType dtype) {
        double[] mask = new double[targets.length];
        java.util.Arrays.fill(mask, 1.0);
        return of(targets, mask, vocab, dtype);
    }
}
