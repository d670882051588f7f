package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.io.DataException;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static INDArray range(DataType type, long... shape) {
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        INDArray flat = Nd4j.createUninitialized(type, new long[] {n}, 'c');
        for (long i = 0; i < n; i++) {
            flat.putScalar(i, i * 1.5 - 7); // -7, -5.5, ... (exact in every type after the int cast)
        }
        return flat.reshape('c', shape);
    }

    private static void assertSame(INDArray expected, INDArray actual, String name) {
        assertEquals(expected.dataType(), actual.dataType(), name);
        assertArrayEquals(expected.shape(), actual.shape(), name);
        assertEquals(expected.rank(), actual.rank(), name);
        assertArrayEquals(expected.dup('c').data().asDouble(), actual.data().asDouble(), 0, name);
    }

    @Test
    void roundTripEveryDtypeAndRank() throws Exception {
        LinkedHashMap<String, INDArray> t = new LinkedHashMap<>();
        long[][] shapes = {{}, {5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}};
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE, DataType.INT, DataType.LONG)) {
            for (long[] shape : shapes) {
                t.put(type + ".r" + shape.length, shape.length == 0 ? Nd4j.scalar(type, 42) : range(type, shape));
            }
        }
        Map<String, String> meta = Map.of("format", "pt", "step", "12");
        Path f = dir.resolve("a.safetensors");
        SafeTensors.write(f, t, meta);
        SafeTensors.Loaded l = SafeTensors.read(f);
        assertEquals(List.copyOf(t.keySet()), List.copyOf(l.tensors().keySet()));
        for (String k : t.keySet()) {
            assertSame(t.get(k), l.tensors().get(k), k);
        }
        assertEquals(0, l.tensors().get("FLOAT.r0").rank());
        assertEquals(42.0, l.tensors().get("LONG.r0").getDouble(0), 0);
        assertEquals(meta, l.metadata());
    }

    @Test
    void viewsAreWrittenInRowMajorOrder() throws Exception {
        INDArray m = range(DataType.FLOAT, 4, 5);                 // [4, 5]
        LinkedHashMap<String, INDArray> t = new LinkedHashMap<>();
        t.put("transposed", m.transpose());                       // [5, 4], strided view
        t.put("column", m.getColumn(2));                          // [4], stride 5
        t.put("block", m.get(NDArrayIndex.interval(1, 3), NDArrayIndex.interval(2, 5))); // [2, 3]
        t.put("row", m.getRow(3));                                // [5], offset 15
        t.put("fortran", m.dup('f'));                             // [4, 5], column-major buffer
        Path f = dir.resolve("views.safetensors");
        SafeTensors.write(f, t, null);
        SafeTensors.Loaded l = SafeTensors.read(f);
        for (String k : t.keySet()) {
            assertSame(t.get(k), l.tensors().get(k), k);
        }
        assertArrayEquals(new float[] {15, 16, 17, 18, 19}, scaled(l.tensors().get("row")), 0f);
        assertTrue(l.metadata().isEmpty());
    }

    /** Undoes range()'s i * 1.5 - 7 to get back the flat indices. */
    private static float[] scaled(INDArray a) {
        float[] f = a.data().asFloat();
        for (int i = 0; i < f.length; i++) {
            f[i] = (f[i] + 7) / 1.5f;
        }
        return f;
    }

    @Test
    void exactHeaderLayout() throws Exception {
        LinkedHashMap<String, INDArray> t = new LinkedHashMap<>();
        t.put("b", Nd4j.create(new float[] {1, 2, 3}, new long[] {3}, 'c'));
        t.put("a", Nd4j.create(new double[] {0.5, -1, 2, 4}, new long[] {2, 2}, 'c'));
        Path f = dir.resolve("tiny.safetensors");
        SafeTensors.write(f, t, Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"a\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[12,44]}}";
        long padded = (json.length() + 7) / 8 * 8;
        assertEquals(padded, n);
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals(json + " ".repeat((int) (padded - json.length())), header);
        JsonNode node = new ObjectMapper().readTree(header);
        assertEquals(12, node.get("a").get("data_offsets").get(0).asLong());
        assertEquals(8 + n + 44, bytes.length);
        assertEquals(1.0f, bb.getFloat((int) (8 + n)), 0f);
        assertEquals(3.0f, bb.getFloat((int) (8 + n + 8)), 0f);
        assertEquals(0.5, bb.getDouble((int) (8 + n + 12)), 0);
        assertEquals(4.0, bb.getDouble((int) (8 + n + 36)), 0);
    }

    @Test
    void readsHalfAndBfloat16AsFloat() throws Exception {
        String json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[4,8]}}";
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3C00).putShort((short) 0xC100);  // 1.0, -2.5
        data.putShort((short) 0x3F80).putShort((short) 0x4040);  // 1.0, 3.0
        Path f = write(header(json), data.array());
        SafeTensors.Loaded l = SafeTensors.read(f);
        assertEquals(DataType.FLOAT, l.tensors().get("h").dataType());
        assertArrayEquals(new float[] {1f, -2.5f}, l.tensors().get("h").data().asFloat(), 0f);
        assertArrayEquals(new long[] {1, 2}, l.tensors().get("b").shape());
        assertArrayEquals(new float[] {1f, 3f}, l.tensors().get("b").data().asFloat(), 0f);
    }

    @Test
    void emptyTensorsAndNoTensors() throws Exception {
        LinkedHashMap<String, INDArray> t = new LinkedHashMap<>();
        t.put("empty", Nd4j.create(DataType.FLOAT, 0, 3));
        t.put("x", Nd4j.create(new float[] {7}, new long[] {1}, 'c'));
        Path f = dir.resolve("e.safetensors");
        SafeTensors.write(f, t, null);
        SafeTensors.Loaded l = SafeTensors.read(f);
        assertArrayEquals(new long[] {0, 3}, l.tensors().get("empty").shape());
        assertEquals(7f, l.tensors().get("x").getFloat(0), 0f);
        Path g = dir.resolve("none.safetensors");
        SafeTensors.write(g, Map.of(), Map.of());
        assertTrue(SafeTensors.read(g).tensors().isEmpty());
    }

    @Test
    void rejectsUnwritableInput() {
        Path f = dir.resolve("x.safetensors");
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, Map.of("h", Nd4j.create(DataType.HALF, 2)), null));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, Map.of("__metadata__", Nd4j.create(DataType.FLOAT, 2)), null));
    }

    // ---- corruption ----

    private static final String GOOD = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private static byte[] header(String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(j.length).put(j).array();
    }

    private Path write(byte[]... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        Path f = Files.createTempFile(dir, "c", ".safetensors");
        Files.write(f, out.toByteArray());
        return f;
    }

    private void assertCorrupt(String what, Path f) {
        DataException e = assertThrows(DataException.class, () -> SafeTensors.read(f), what);
        assertTrue(e.getMessage().startsWith(f + ": corrupt safetensors: "), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void corruptFilesAreDataExceptions() throws Exception {
        byte[] data8 = new byte[8];
        assertEquals(2, SafeTensors.read(write(header(GOOD), data8)).tensors().get("x").length()); // control
        assertCorrupt("short", write(new byte[] {1, 2, 3}));
        assertCorrupt("empty", write(new byte[0]));
        byte[] h = header(GOOD);
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000);
        assertCorrupt("header beyond file", write(h, data8));
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -5);
        assertCorrupt("huge unsigned header", write(h, data8));
        assertCorrupt("invalid json", write(header("{\"x\":{\"dtype\":"), data8));
        assertCorrupt("not an object", write(header("[1,2]   "), data8));
        assertCorrupt("trailing json", write(header(GOOD + "{}"), data8));
        assertCorrupt("entry not an object", write(header("{\"e\":1}"), new byte[0]));
        byte[] badUtf = header("{\"ab\":{}}");
        badUtf[10] = (byte) 0xC3;
        badUtf[11] = (byte) 0x28;
        assertCorrupt("invalid utf-8 bytes", write(badUtf, data8));
        assertCorrupt("unknown dtype", write(header(GOOD.replace("F32", "Q8")), data8));
        assertCorrupt("missing dtype", write(header(GOOD.replace("\"dtype\":\"F32\",", "")), data8));
        assertCorrupt("negative dim", write(header(GOOD.replace("[2]", "[-2]")), data8));
        assertCorrupt("size mismatch", write(header(GOOD.replace("[2]", "[3]")), data8));
        assertCorrupt("offsets beyond data", write(header(GOOD.replace("[0,8]", "[4,12]").replace("[2]", "[2]")), data8));
        assertCorrupt("data too long", write(header(GOOD), new byte[12]));
        assertCorrupt("data too short", write(header(GOOD), new byte[4]));
        assertCorrupt("reversed offsets", write(header(GOOD.replace("[0,8]", "[8,0]")), data8));
        String two = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertCorrupt("overlap", write(header(two), new byte[12]));
        String gap = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertCorrupt("gap", write(header(gap), new byte[12]));
        assertCorrupt("duplicate name", write(header("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"), data8));
        assertCorrupt("metadata not strings", write(header("{\"__metadata__\":{\"a\":1}}"), new byte[0]));
        assertCorrupt("fractional offset", write(header(GOOD.replace("[0,8]", "[0,8.0]")), data8));
    }
}
