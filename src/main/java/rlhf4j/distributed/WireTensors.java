package rlhf4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named arrays as plain Java values, for what crosses between Spark's driver and executors (parameters one way,
 * gradients back): the exact bits of each FLOAT or DOUBLE array, its shape, and the names in their order.
 */
public record WireTensors(List<Entry> entries) implements Serializable {
    /** One array: C-order values in {@code floats} (FLOAT) or {@code doubles} (DOUBLE), the other null. */
    public record Entry(String name, long[] shape, float[] floats, double[] doubles) implements Serializable {}

    public WireTensors {
        entries = List.copyOf(entries);
    }

    public static WireTensors of(Map<String, INDArray> arrays) {
        List<Entry> out = new ArrayList<>(arrays.size());
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue().isView() ? e.getValue().dup('c') : e.getValue();
            if (a.ordering() != 'c') {
                a = a.dup('c');
            }
            switch (a.dataType()) {
                case FLOAT -> out.add(new Entry(e.getKey(), a.shape(), a.data().asFloat(), null));
                case DOUBLE -> out.add(new Entry(e.getKey(), a.shape(), null, a.data().asDouble()));
                default -> throw new IllegalArgumentException(e.getKey() + ": " + a.dataType()
                        + " cannot be sent (FLOAT or DOUBLE)");
            }
        }
        return new WireTensors(out);
    }

    /** New arrays with these values, in the order they were sent. */
    public LinkedHashMap<String, INDArray> toArrays() {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            INDArray a = e.floats() != null ? Nd4j.create(e.floats(), e.shape(), 'c')
                    : Nd4j.create(e.doubles(), e.shape(), 'c');
            if (e.floats() != null && a.dataType() != DataType.FLOAT || e.doubles() != null && a.dataType() != DataType.DOUBLE) {
                throw new IllegalStateException(e.name() + ": created as " + a.dataType());
            }
            out.put(e.name(), a);
        }
        return out;
    }
}
