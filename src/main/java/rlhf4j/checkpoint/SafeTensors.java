package rlhf4j.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.io.DataException;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8
 * JSON ({@code __metadata__} plus {@code name -> {dtype, shape, data_offsets}}) padded with spaces
 * to a multiple of 8, then the row-major little-endian tensor bytes, contiguous, in map order.
 * Writes F32/F64/I32/I64; reads those plus F16/BF16 (converted to FLOAT). Tensor data is read
 * straight into the arrays' native buffers. One tensor may hold at most 2 GiB.
 */
public final class SafeTensors {
    /** Largest header accepted on read, as in the reference implementation. */
    private static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final String METADATA = "__metadata__";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectReader STRICT_READER = MAPPER.reader()
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private SafeTensors() {}

    /** Tensors in header order, and the {@code __metadata__} strings (empty when absent). */
    public record Loaded(LinkedHashMap<String, INDArray> tensors, Map<String, String> metadata) {}

    /** Writes {@code tensors} (in iteration order) and {@code metadata} (may be null) to {@code file}. */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, FileOpener.FILES);
    }

    /** As {@link #write(Path, Map, Map)}, with the file opened through {@code opener}. */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata, FileOpener opener)
            throws IOException {
        ObjectNode header = MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach((k, v) -> meta.put(k, Objects.requireNonNull(v, "metadata value of " + k)));
        }
        List<INDArray> contiguous = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) {
                throw new IllegalArgumentException("tensor name " + METADATA + " is reserved");
            }
            INDArray a = e.getValue();
            String dtype = writeCode(name, a.dataType());
            long bytes = a.length() * a.dataType().width();
            ObjectNode t = header.putObject(name);
            t.put("dtype", dtype);
            ArrayNode shape = t.putArray("shape");
            for (long d : a.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            contiguous.add(a.isEmpty() ? a : contiguousC(a));
        }
        byte[] json = MAPPER.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (WritableByteChannel ch = opener.open(file)) {
            writeFully(ch, head);
            for (INDArray a : contiguous) {
                if (!a.isEmpty()) {
                    writeFully(ch, littleEndianBytes(a));
                }
            }
        }
    }

    /** Reads a whole file; corrupt content raises {@link DataException} naming the file. */
    public static Loaded read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > size - 8 || n > MAX_HEADER) {
                throw corrupt(file, "header length " + Long.toUnsignedString(n) + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            JsonNode header = parseHeader(file, headBuf.array());
            long dataStart = 8 + n;
            List<Entry> entries = entries(file, header, size - dataStart);
            Map<String, String> metadata = metadata(file, header.get(METADATA));
            LinkedHashMap<String, INDArray> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                tensors.put(e.name, readTensor(ch, e, dataStart, file));
            }
            return new Loaded(tensors, metadata);
        }
    }

    // ---- header parsing and validation ----

    /** One header entry: [begin, end) relative to the data section. */
    private record Entry(String name, String dtype, long[] shape, long begin, long end) {}

    private static JsonNode parseHeader(Path file, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "header is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = STRICT_READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw corrupt(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw corrupt(file, "header is not a JSON object");
        }
        return node;
    }

    private static List<Entry> entries(Path file, JsonNode header, long dataLength) {
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getKey().equals(METADATA)) {
                entries.add(entry(file, f.getKey(), f.getValue()));
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin != expected) {
                throw corrupt(file, "tensor '" + e.name + "' data_offsets [" + e.begin + ", " + e.end + "] "
                        + (e.begin < expected ? "overlap another tensor" : "leave a gap at byte " + expected));
            }
            expected = e.end;
        }
        if (expected != dataLength) {
            throw corrupt(file, "tensors cover " + expected + " bytes but the data section holds " + dataLength);
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonNode t) {
        if (!t.isObject()) {
            throw corrupt(file, "entry '" + name + "' is not an object");
        }
        JsonNode dtypeNode = t.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw corrupt(file, "tensor '" + name + "' has no dtype");
        }
        String dtype = dtypeNode.asText();
        int width = switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw corrupt(file, "tensor '" + name + "' has unsupported dtype " + dtype);
        };
        long[] shape = longs(file, name, "shape", t.get("shape"), -1);
        long[] offsets = longs(file, name, "data_offsets", t.get("data_offsets"), 2);
        long elements = 1;
        for (long d : shape) {
            elements = multiply(file, name, elements, d);
        }
        long bytes = multiply(file, name, elements, width);
        if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != bytes) {
            throw corrupt(file, "tensor '" + name + "' data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] do not match shape " + Arrays.toString(shape) + " of " + dtype + " (" + bytes + " bytes)");
        }
        if (bytes > Integer.MAX_VALUE) {
            throw corrupt(file, "tensor '" + name + "' is larger than 2 GiB, which is not supported");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(Path file, String name, String field, JsonNode node, int size) {
        if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
            throw corrupt(file, "tensor '" + name + "' has no valid " + field);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw corrupt(file, "tensor '" + name + "' has an invalid " + field + " value " + v);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static long multiply(Path file, String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw corrupt(file, "tensor '" + name + "' is impossibly large");
        }
    }

    private static Map<String, String> metadata(Path file, JsonNode meta) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        if (meta == null) {
            return out;
        }
        if (!meta.isObject()) {
            throw corrupt(file, METADATA + " is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw corrupt(file, METADATA + " value of '" + f.getKey() + "' is not a string");
            }
            out.put(f.getKey(), f.getValue().asText());
        }
        return out;
    }

    // ---- tensor data ----

    private static INDArray readTensor(FileChannel ch, Entry e, long dataStart, Path file) throws IOException {
        DataType type = switch (e.dtype) {
            case "F64" -> DataType.DOUBLE;
            case "F32" -> DataType.FLOAT;
            case "I64" -> DataType.LONG;
            case "I32" -> DataType.INT;
            case "F16" -> DataType.HALF;
            case "BF16" -> DataType.BFLOAT16;
            default -> throw new IllegalStateException(e.dtype);
        };
        if (e.end == e.begin) {
            return Nd4j.create(type, e.shape); // empty: a dimension is 0
        }
        INDArray a = Nd4j.createUninitialized(type, e.shape, 'c');
        ByteBuffer target = a.data().asNio();
        if (target.capacity() != e.end - e.begin) {
            throw new IllegalStateException("unexpected native buffer size for " + e.name);
        }
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            readFully(ch, target.clear(), dataStart + e.begin, file);
        } else {
            ByteBuffer le = ByteBuffer.allocate((int) (e.end - e.begin));
            readFully(ch, le, dataStart + e.begin, file);
            swapInto(le.flip().order(ByteOrder.LITTLE_ENDIAN), target.clear().order(ByteOrder.nativeOrder()), type.width());
        }
        return type == DataType.HALF || type == DataType.BFLOAT16 ? a.castTo(DataType.FLOAT) : a;
    }

    /** {@code a} itself when it is a dense row-major array starting at its buffer's start; else a copy. */
    private static INDArray contiguousC(INDArray a) {
        boolean dense = !a.isView() && a.offset() == 0 && a.ordering() == 'c'
                && Shape.hasDefaultStridesForShape(a) && a.data().length() == a.length();
        return dense ? a : a.dup('c');
    }

    /** The array's bytes, little-endian (a view of the native buffer on little-endian hosts). */
    private static ByteBuffer littleEndianBytes(INDArray a) {
        ByteBuffer nio = a.data().asNio().duplicate().clear();
        nio.limit((int) (a.length() * a.dataType().width()));
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return nio;
        }
        ByteBuffer le = ByteBuffer.allocate(nio.limit()).order(ByteOrder.LITTLE_ENDIAN);
        swapInto(nio.order(ByteOrder.nativeOrder()), le, a.dataType().width());
        return le.flip();
    }

    /** Copies elements of {@code width} bytes from {@code src} to {@code dst}, honouring each buffer's order. */
    private static void swapInto(ByteBuffer src, ByteBuffer dst, int width) {
        while (src.remaining() >= width) {
            switch (width) {
                case 8 -> dst.putLong(src.getLong());
                case 4 -> dst.putInt(src.getInt());
                default -> dst.putShort(src.getShort());
            }
        }
    }

    private static String writeCode(String name, DataType type) {
        return switch (type) {
            case FLOAT -> "F32";
            case DOUBLE -> "F64";
            case INT -> "I32";
            case LONG -> "I64";
            default -> throw new IllegalArgumentException("tensor '" + name + "': dtype " + type + " cannot be written");
        };
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw corrupt(file, "unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static DataException corrupt(Path file, String what) {
        return new DataException(file, "corrupt safetensors: " + what);
    }
}
