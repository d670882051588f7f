package rlhf4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradClipTest {
    @Test
    void clipsToMaxNorm() {
        Map<String, INDArray> g = Map.of("w", Nd4j.create(new double[] {3, 4}));
        assertEquals(5.0, GradClip.clipGlobalNorm(g, 1.0), 1e-12);
        double coef = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 4 * coef}, g.get("w").toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {0.6, 0.8}, g.get("w").toDoubleVector(), 1e-6);
    }

    @Test
    void normIsGlobalAcrossTensors() {
        LinkedHashMap<String, INDArray> g = new LinkedHashMap<>();
        g.put("a", Nd4j.create(new float[] {3}, new long[] {1}, 'c'));
        g.put("b", Nd4j.create(new float[] {0, 4, 0, 0}, new long[] {2, 2}, 'c')); // [2, 2]
        assertEquals(5.0, GradClip.clipGlobalNorm(g, 2.5), 1e-6);
        assertArrayEquals(new float[] {0, 2, 0, 0}, g.get("b").data().asFloat(), 1e-6f);
        assertArrayEquals(new float[] {1.5f}, g.get("a").data().asFloat(), 1e-6f);
    }

    @Test
    void smallNormsAndMeasureOnlyAreUntouched() {
        Map<String, INDArray> g = Map.of("w", Nd4j.create(new double[] {3, 4}));
        assertEquals(5.0, GradClip.clipGlobalNorm(g, 10.0), 1e-12);
        assertArrayEquals(new double[] {3, 4}, g.get("w").toDoubleVector(), 0);
        assertEquals(5.0, GradClip.clipGlobalNorm(g, 0), 1e-12);
        assertArrayEquals(new double[] {3, 4}, g.get("w").toDoubleVector(), 0);
    }

    @Test
    void finiteness() {
        assertTrue(GradClip.allFinite(Map.of("w", Nd4j.create(new double[] {3, 4}))));
        assertFalse(GradClip.allFinite(Map.of("w", Nd4j.create(new float[] {3, Float.NaN}, new long[] {2}, 'c'))));
        assertFalse(GradClip.allFinite(Map.of("w", Nd4j.create(new double[] {Double.NEGATIVE_INFINITY, 1}))));
        Map<String, INDArray> bad = Map.of("w", Nd4j.create(new double[] {Double.NaN, 1}));
        assertTrue(Double.isNaN(GradClip.clipGlobalNorm(bad, 1.0)));
        assertEquals(1.0, bad.get("w").getDouble(1), 0); // not scaled by NaN
    }
}
