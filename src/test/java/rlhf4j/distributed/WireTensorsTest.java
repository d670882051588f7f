package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Arrays survive the wire (Java serialisation, as Spark ships them) bit for bit, views and F-order included. */
class WireTensorsTest {
    @Test
    void arraysComeBackWithTheirExactBitsShapesAndOrder() throws Exception {
        Nd4j.getRandom().setSeed(4);
        Map<String, INDArray> sent = new LinkedHashMap<>();
        sent.put("w", Nd4j.randn(DataType.FLOAT, 3, 5));
        sent.put("d", Nd4j.randn(DataType.DOUBLE, 2, 2, 3));
        INDArray big = Nd4j.randn(DataType.FLOAT, 6, 4);
        sent.put("view", big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()));   // rows 2..4: an offset view
        sent.put("f", Nd4j.randn(DataType.FLOAT, 'f', 4, 3));
        INDArray special = Nd4j.createFromArray(Float.NaN, -0f, Float.MIN_VALUE, Float.NEGATIVE_INFINITY);
        sent.put("special", special);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(WireTensors.of(sent));
        }
        WireTensors wire;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            wire = (WireTensors) in.readObject();
        }
        Map<String, INDArray> back = wire.toArrays();
        assertEquals(List.copyOf(sent.keySet()), List.copyOf(back.keySet()));
        for (String name : sent.keySet()) {
            INDArray a = sent.get(name);
            INDArray b = back.get(name);
            assertEquals(a.dataType(), b.dataType(), name);
            assertArrayEquals(a.shape(), b.shape(), name);
            if (a.dataType() == DataType.FLOAT) {
                float[] x = a.dup('c').data().asFloat();
                float[] y = b.data().asFloat();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "]");
                }
            } else {
                assertArrayEquals(a.dup('c').data().asDouble(), b.data().asDouble(), 0.0, name);
            }
        }
    }
}
