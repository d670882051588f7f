package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The LM head's placeholders: one-hot rows at the targets, weights mask/Σmask. */
class LmTargetsTest {
    @Test
    void oneHotRowsAndWeights() {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            int[] targets = {3, 0, 4, 3};
            Map<String, INDArray> m = LmTargets.of(targets, new double[] {1, 0, 1, 2}, 5, dtype);
            INDArray onehot = m.get(LmHead.TARGET_ONEHOT);                                // [4, 5]
            assertEquals(dtype, onehot.dataType());
            assertArrayEquals(new long[] {4, 5}, onehot.shape());
            for (int i = 0; i < targets.length; i++) {
                for (int v = 0; v < 5; v++) {
                    assertEquals(v == targets[i] ? 1.0 : 0.0, onehot.getDouble(i, v), 0.0, "row " + i + ", column " + v);
                }
            }
            assertArrayEquals(new double[] {0.25, 0, 0.25, 0.5}, m.get(LmHead.TARGET_WEIGHT).toDoubleVector(), 1e-7);
        }
    }

    @Test
    void targetsOutsideTheVocabularyAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LmTargets.of(new int[] {5}, 5, DataType.FLOAT));
        assertThrows(IllegalArgumentException.class, () -> LmTargets.of(new int[] {-1}, 5, DataType.FLOAT));
    }
}
