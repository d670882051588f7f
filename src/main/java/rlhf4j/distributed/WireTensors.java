package rlhf4j.distributed;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named arrays as plain Java values, for what crosses between Spark's driver and executors (parameters one way,
 * gradients back): the exact bytes of each FLOAT or DOUBLE array in C order, its shape, and the names in their order.
 * The bytes are copied in bulk from and into ND4J's native buffers (a float at a time through Java serialisation
 * was most of the Spark path's cost), in this machine's byte order, which the receiver checks.
 */
public record WireTensors(boolean littleEndian, List<Entry> entries) implements Serializable {
    /** One array: its dtype name (FLOAT or DOUBLE), shape and C-order bytes. */
    public record Entry(String name, String dtype, long[] shape, byte[] bytes) implements Serializable {}

    public WireTensors {
        entries = List.copyOf(entries);
    }

    public static WireTensors of(Map<String, INDArray> arrays) {
        List<Entry> out = new ArrayList<>(arrays.size());
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue();
            if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
                throw new IllegalArgumentException(e.getKey() + ": " + a.dataType() + " cannot be sent (FLOAT or DOUBLE)");
            }
            if (a.isView() || a.ordering() != 'c' || a.offset() != 0 || a.data().length() != a.length()) {
                a = a.dup('c');                                  // its own buffer, exactly its elements
            }
            byte[] bytes = new byte[Math.toIntExact(a.length() * a.dataType().width())];
            a.data().asNio().duplicate().get(bytes);
            out.add(new Entry(e.getKey(), a.dataType().name(), a.shape(), bytes));
        }
        return new WireTensors(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, out);
    }

    /** New arrays with these values, in the order they were sent. */
    public LinkedHashMap<String, INDArray> toArrays() {
        if (littleEndian != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
            throw new IllegalStateException("arrays sent from a machine of the other byte order");
        }
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            INDArray a = Nd4j.create(DataType.valueOf(e.dtype()), e.shape(), 'c');
            ByteBuffer target = a.data().asNio().duplicate();
            if (target.remaining() != e.bytes().length) {
                throw new IllegalStateException(e.name() + ": " + e.bytes().length + " bytes for " + target.remaining());
            }
            target.put(e.bytes());
            out.put(e.name(), a);
        }
        return out;
    }
}
