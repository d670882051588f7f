package rlhf4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradAccumulatorTest {
    @Test
    void meanOfMicroBatches() {
        GradAccumulator acc = new GradAccumulator();
        INDArray first = Nd4j.create(new double[] {1, 2});
        acc.add(Map.of("w", first));
        acc.add(Map.of("w", Nd4j.create(new double[] {3, 6})));
        acc.add(Map.of("w", Nd4j.create(new double[] {5, 1})));
        assertEquals(3, acc.count());
        assertArrayEquals(new double[] {3, 3}, acc.mean().get("w").toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {3, 3}, acc.mean().get("w").toDoubleVector(), 1e-15); // idempotent
        assertArrayEquals(new double[] {1, 2}, first.toDoubleVector(), 0);                  // input not owned
        assertThrows(IllegalStateException.class, () -> acc.add(Map.of("w", first)));

        acc.reset();
        acc.add(Map.of("w", Nd4j.create(new double[] {4, 8})));
        assertArrayEquals(new double[] {4, 8}, acc.mean().get("w").toDoubleVector(), 0);
        acc.reset();
        assertThrows(IllegalStateException.class, acc::mean);
    }

    @Test
    void namesMustMatch() {
        GradAccumulator acc = new GradAccumulator();
        acc.add(Map.of("a", Nd4j.create(new double[] {1})));
        assertThrows(IllegalArgumentException.class, () -> acc.add(Map.of("b", Nd4j.create(new double[] {1}))));
    }
}
