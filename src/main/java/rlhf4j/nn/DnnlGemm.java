package rlhf4j.nn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_bf16;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_matmul_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_strides;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_set_data_handle;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_sum;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_output_scales;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_post_ops;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_matmul_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Products through oneDNN's matmul primitive, which picks its kernel for the CPU at run time (AVX2, AVX-512,
 * AVX-512 BF16, AMX). In {@link Precision#FP32} both inputs are read as FLOAT; in {@link Precision#BF16} a oneDNN
 * reorder first rounds each input to bfloat16 (to nearest, ties to even) into scratch buffers, and the product
 * accumulates and writes FLOAT. alpha is the primitive's output scale and beta its sum post-op, so c is read and
 * written once.
 *
 * <p>A primitive is built once per shape and kept; each call only points its memories at the arrays. Primitives,
 * memories, the stream and the scratch belong to one thread ({@link Context}), since a oneDNN memory's data handle
 * is per call. Same inputs, same threads: same bits (oneDNN splits a product over threads by output blocks, never
 * along k).
 */
final class DnnlGemm implements Gemm {
    private final Precision precision;
    private final dnnl_engine engine;
    private final String isa;
    private final ThreadLocal<Context> contexts;

    DnnlGemm(dnnl_engine engine, Precision precision, String isa) {
        this.engine = engine;
        this.precision = precision;
        this.isa = isa;
        this.contexts = ThreadLocal.withInitial(Context::new);
    }

    @Override
    public void gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta) {
        run(Shape.of(a, transA, b, transB, c, 2), a, transA, b, transB, c, alpha, beta);
    }

    @Override
    public void batched(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta) {
        run(Shape.of(a, transA, b, transB, c, 3), a, transA, b, transB, c, alpha, beta);
    }

    @Override
    public String describe() {
        return "oneDNN " + isa + (precision == Precision.BF16 ? ", BF16 inputs, FP32 accumulation" : ", FP32");
    }

    private void run(Shape s, INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha,
                     float beta) {
        if (s.onlyScales(c, beta)) {
            return;
        }
        execute(new Key(s, transA, transB, alpha, beta, null), a, b, c);
    }

    private void execute(Key key, INDArray a, INDArray b, INDArray c) {
        Context ctx = contexts.get();
        Product p = ctx.products.get(key);
        if (p == null) {
            p = new Product(key);
            ctx.products.put(key, p);
        }
        p.execute(ctx, Gemm.pointer(a), b.data().addressPointer(), Gemm.pointer(c));
    }

    /** Products with a packed operand: a [m, k] (or [k, m] transposed), c [m, n] for the packing's [k, n]. */
    @Override
    public void gemm(INDArray a, boolean transA, Operand b, INDArray c, float alpha, float beta) {
        if (!(b.layout() instanceof Packing packing)) {
            Gemm.super.gemm(a, transA, b, c, alpha, beta);
            return;
        }
        Shape s = Shape.of(a, transA, packing.k(), packing.n(), c);
        if (s.onlyScales(c, beta)) {
            return;
        }
        execute(new Key(s, transA, false, alpha, beta, packing), a, b.array(), c);
    }

    /** A product's primitive: its shape, transposes, scales, and b's packing when b comes from {@link #constant}. */
    private record Key(Shape shape, boolean transA, boolean transB, float alpha, float beta, Packing packing) {}

    /** oneDNN's blocked layout of a [k, n] right operand, as its matmul kernels read it in this precision. */
    private record Packing(int k, int n) {}

    /** Each packing's memory description, asked of oneDNN once (as for a product of {@link #PACKING_ROWS} rows). */
    private final Map<Packing, dnnl_memory_desc_t> packings = new ConcurrentHashMap<>();

    /** The rows of the product a packing is asked for: decoding's batch. The layout depends on k and n. */
    private static final int PACKING_ROWS = 16;

    /**
     * b packed in the blocked layout oneDNN's kernels read, in the products' input type (rounded to bfloat16 in
     * BF16): a flat array that only these products read. At 16 rows the products run 1.6–2.9× faster on it than on
     * a plain b, which each call would otherwise convert and pack.
     */
    @Override
    public Operand constant(INDArray b, boolean transposed, Operand reuse) {
        if (b.rank() != 2 || !FloatKernels.isDense(b)) {
            throw new IllegalArgumentException("a dense C-order FLOAT matrix is needed, got " + b.shapeInfoToString());
        }
        int k = (int) (transposed ? b.size(1) : b.size(0));
        int n = (int) (transposed ? b.size(0) : b.size(1));
        Packing packing = new Packing(k, n);
        dnnl_memory_desc_t packedMd = packings.computeIfAbsent(packing, this::packedDesc);
        DataType type = precision == Precision.BF16 ? DataType.BFLOAT16 : DataType.FLOAT;
        long elements = dnnl_memory_desc_get_size(packedMd) / type.width();
        INDArray packed = reuse != null && packing.equals(reuse.layout()) ? reuse.array()
                : Nd4j.createUninitialized(type, elements);                                         // [packed size]
        try (Reorder reorder = new Reorder(desc(k, n, transposed, dnnl_f32), packedMd, memory(packedMd))) {
            Context ctx = contexts.get();
            reorder.run(ctx.stream, Gemm.pointer(b), packed.data().addressPointer());
            ok(dnnl_stream_wait(ctx.stream), "weight packing");
        }
        return new Operand(packed, false, packing);
    }

    /** The weights layout oneDNN's matmul chooses for [k, n] in this precision when left to choose. */
    private dnnl_memory_desc_t packedDesc(Packing p) {
        dnnl_memory_desc_t srcMd = desc(PACKING_ROWS, p.k(), false, inputType());                   // [m, k]
        dnnl_memory_desc_t anyMd = new dnnl_memory_desc_t();                                        // [k, n], any
        ok(dnnl_memory_desc_init_by_tag(anyMd, 2, new long[] {p.k(), p.n()}, inputType(), dnnl_format_tag_any),
                "memory description");
        dnnl_memory_desc_t dstMd = desc(PACKING_ROWS, p.n(), false, dnnl_f32);                      // [m, n]
        dnnl_matmul_desc_t op = new dnnl_matmul_desc_t();
        ok(dnnl_matmul_desc_init(op, srcMd, anyMd, null, dstMd), "matmul description");
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        ok(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(op), null, engine, null), "matmul for " + p);
        dnnl_memory_desc_t chosen = new dnnl_memory_desc_t();
        chosen.put(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));   // a copy: pd owns the original
        ok(dnnl_primitive_desc_destroy(pd), "matmul description");
        return chosen;
    }

    /** One thread's stream, its primitives by shape, and the BF16 scratch they share. */
    private final class Context {
        final dnnl_stream stream = new dnnl_stream();
        final Map<Key, Product> products = new HashMap<>();
        final Scratch scratchA = new Scratch();                 // a's BF16 copy
        final Scratch scratchB = new Scratch();                 // b's BF16 copy

        Context() {
            ok(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "stream");
        }

    }

    /** A BF16 buffer that grows to the largest operand it has held. */
    private static final class Scratch {
        private ShortPointer buffer = new ShortPointer(0);

        ShortPointer of(long elements) {
            if (buffer.capacity() < elements) {
                buffer.close();
                buffer = new ShortPointer(elements);
            }
            return buffer;
        }
    }

    /** The matmul of one shape, and in BF16 the two reorders that feed it. */
    private final class Product {
        final Shape shape;
        final dnnl_primitive matmul;
        final dnnl_memory src;                      // what the matmul reads: a, or its BF16 copy
        final dnnl_memory weights;                  // b, or its BF16 copy
        final dnnl_memory dst;                      // c
        final dnnl_exec_arg_t args = new dnnl_exec_arg_t(3);
        final Reorder toBf16A;                      // null in FP32
        final Reorder toBf16B;

        Product(Key key) {
            this.shape = key.shape();
            int g = shape.groups();
            int m = shape.m();
            int n = shape.n();
            int k = shape.k();
            int inType = inputType();
            boolean packed = key.packing() != null;        // then 2-D: oneDNN packs no batched weights
            dnnl_memory_desc_t srcMd = packed ? desc(m, k, key.transA(), inType)                 // [m, k]
                    : desc(g, m, k, key.transA(), inType);                                        // [G, m, k]
            dnnl_memory_desc_t weightsMd = packed ? packings.get(key.packing())                   // [k, n] blocked
                    : desc(g, k, n, key.transB(), inType);                                        // [G, k, n]
            dnnl_memory_desc_t dstMd = packed ? desc(m, n, false, dnnl_f32)                       // [m, n]
                    : desc(g, m, n, false, dnnl_f32);                                             // [G, m, n]
            dnnl_matmul_desc_t op = new dnnl_matmul_desc_t();
            ok(dnnl_matmul_desc_init(op, srcMd, weightsMd, null, dstMd), "matmul description");
            dnnl_primitive_attr attr = new dnnl_primitive_attr();
            ok(dnnl_primitive_attr_create(attr), "attributes");
            dnnl_post_ops sum = null;
            if (key.alpha() != 1f) {
                ok(dnnl_primitive_attr_set_output_scales(attr, 1, 0, new float[] {key.alpha()}), "output scale");
            }
            if (key.beta() != 0f) {
                sum = new dnnl_post_ops();
                ok(dnnl_post_ops_create(sum), "post-ops");
                ok(dnnl_post_ops_append_sum(sum, key.beta()), "sum post-op");
                ok(dnnl_primitive_attr_set_post_ops(attr, sum), "post-ops");
            }
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            ok(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(op), attr, engine, null), "matmul for " + shape);
            matmul = new dnnl_primitive();
            ok(dnnl_primitive_create(matmul, pd), "matmul");
            ok(dnnl_primitive_desc_destroy(pd), "matmul description");
            ok(dnnl_primitive_attr_destroy(attr), "attributes");
            if (sum != null) {
                ok(dnnl_post_ops_destroy(sum), "post-ops");
            }
            src = memory(srcMd);
            weights = memory(weightsMd);
            dst = memory(dstMd);
            args.position(0).arg(DNNL_ARG_SRC).memory(src);
            args.position(1).arg(DNNL_ARG_WEIGHTS).memory(weights);
            args.position(2).arg(DNNL_ARG_DST).memory(dst);
            args.position(0);
            boolean bf16 = precision == Precision.BF16;
            toBf16A = !bf16 ? null : new Reorder(packed ? desc(m, k, key.transA(), dnnl_f32)
                    : desc(g, m, k, key.transA(), dnnl_f32), srcMd, src);
            toBf16B = bf16 && key.packing() == null ? new Reorder(desc(g, k, n, key.transB(), dnnl_f32), weightsMd, weights)
                    : null;
        }

        void execute(Context ctx, Pointer a, Pointer b, Pointer c) {
            long g = shape.groups();
            if (toBf16A != null) {
                toBf16A.run(ctx.stream, a, ctx.scratchA.of(g * shape.m() * shape.k()));
            } else {
                ok(dnnl_memory_set_data_handle(src, a), "data");
            }
            if (toBf16B != null) {
                toBf16B.run(ctx.stream, b, ctx.scratchB.of(g * shape.k() * shape.n()));
            } else {
                ok(dnnl_memory_set_data_handle(weights, b), "data");
            }
            ok(dnnl_memory_set_data_handle(dst, c), "data");
            ok(dnnl_primitive_execute(matmul, ctx.stream, 3, args), "matmul");
            ok(dnnl_stream_wait(ctx.stream), "matmul");
        }
    }

    /** FLOAT to bfloat16, in the same layout, into the memory a matmul reads. */
    private final class Reorder implements AutoCloseable {
        final dnnl_primitive reorder;
        final dnnl_memory from;
        final dnnl_memory to;
        final dnnl_exec_arg_t args = new dnnl_exec_arg_t(2);

        Reorder(dnnl_memory_desc_t fromMd, dnnl_memory_desc_t toMd, dnnl_memory to) {
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            ok(dnnl_reorder_primitive_desc_create(pd, fromMd, engine, toMd, engine, null), "BF16 reorder");
            reorder = new dnnl_primitive();
            ok(dnnl_primitive_create(reorder, pd), "BF16 reorder");
            ok(dnnl_primitive_desc_destroy(pd), "BF16 reorder");
            this.from = memory(fromMd);
            this.to = to;
            args.position(0).arg(DNNL_ARG_FROM).memory(from);
            args.position(1).arg(DNNL_ARG_TO).memory(to);
            args.position(0);
        }

        void run(dnnl_stream stream, Pointer source, Pointer target) {
            ok(dnnl_memory_set_data_handle(from, source), "data");
            ok(dnnl_memory_set_data_handle(to, target), "data");
            ok(dnnl_primitive_execute(reorder, stream, 2, args), "BF16 reorder");
        }

        /** Frees the primitive and memories of a reorder used once ({@link #constant}). */
        @Override
        public void close() {
            dnnl_primitive_destroy(reorder);
            dnnl_memory_destroy(from);
            dnnl_memory_destroy(to);
        }
    }

    /**
     * A [G, rows, cols] operand (2-D when G is 1 and the product is not batched: the same strides) stored
     * row-major, or, when transposed, stored as [G, cols, rows].
     */
    private static dnnl_memory_desc_t desc(int groups, int rows, int cols, boolean transposed, int type) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        long plane = (long) rows * cols;
        long[] dims = {groups, rows, cols};
        long[] strides = transposed ? new long[] {plane, 1, rows} : new long[] {plane, cols, 1};
        ok(dnnl_memory_desc_init_by_strides(md, 3, dims, type, strides), "memory description");
        return md;
    }

    /** The type the products read their inputs in. */
    private int inputType() {
        return precision == Precision.BF16 ? dnnl_bf16 : dnnl_f32;
    }

    /** A [rows, cols] operand stored row-major, or, when transposed, stored as [cols, rows]. */
    private static dnnl_memory_desc_t desc(int rows, int cols, boolean transposed, int type) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        long[] strides = transposed ? new long[] {1, rows} : new long[] {cols, 1};
        ok(dnnl_memory_desc_init_by_strides(md, 2, new long[] {rows, cols}, type, strides), "memory description");
        return md;
    }

    private dnnl_memory memory(dnnl_memory_desc_t md) {
        dnnl_memory mem = new dnnl_memory();
        ok(dnnl_memory_create(mem, md, engine, (Pointer) null), "memory");
        return mem;
    }

    static void ok(int status, String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN " + what + " failed (status " + status + ")");
        }
    }
}
