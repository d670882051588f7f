package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The one-hot targets the SameDiff graph reads: a 1 at each row's target, in the model's dtype. */
class LmTargetsTest {
    @Test
    void oneHotRows() {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            int[] targets = {3, 0, 4, 3};
            INDArray onehot = LmTargets.oneHot(targets, 5, dtype);                          // [4, 5]
            assertEquals(dtype, onehot.dataType());
            assertArrayEquals(new long[] {4, 5}, onehot.shape());
            for (int i = 0; i < targets.length; i++) {
                for (int v = 0; v < 5; v++) {
                    assertEquals(v == targets[i] ? 1.0 : 0.0, onehot.getDouble(i, v), 0.0, "row " + i + ", column " + v);
                }
            }
        }
    }

    @Test
    void targetsOutsideTheVocabularyAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LmTargets.oneHot(new int[] {5}, 5, DataType.FLOAT));
        assertThrows(IllegalArgumentException.class, () -> LmTargets.oneHot(new int[] {-1}, 5, DataType.FLOAT));
    }
}
