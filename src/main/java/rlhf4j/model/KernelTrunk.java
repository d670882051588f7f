package rlhf4j.model;

import static rlhf4j.model.ParamNames.layer;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.Sgemm;
import rlhf4j.nn.VectorSupport;

/**
 * The transformer trunk — every block and the final LayerNorm, from the embeddings {@code emb}
 * [B*T, C] to {@code hidden} [B*T, C] — written out by hand for FLOAT models: forward with its
 * activations kept, and the backward that turns d hidden into every trunk parameter's gradient
 * and d emb. It computes exactly what {@link GptGraph} builds (same LayerNorm without epsilon,
 * same sigmoid-form GELU, same additive mask), and is tested against it.
 *
 * <p>Why: in SameDiff M2.1 the graph executor costs 0.2–0.5 ms per op around the op itself
 * (dependency bookkeeping, shape inference, output allocation), and several libnd4j ops are 4–12×
 * slower than PyTorch's (see {@link FloatKernels}); a step of the 0.4M model ran ~120 such ops.
 * Here matrix products are single BLAS calls ({@link rlhf4j.nn.Sgemm}: cblas_sgemm, a loop of them
 * for the attention's per-head products, accumulating into the residual stream through beta = 1),
 * row- and element-wise work is one {@link FloatKernels} pass each, and every activation lives in
 * buffers allocated once per (B, T) and reused by every step.
 *
 * <p>Not thread-safe; {@link Gpt} calls it under its own lock. Arrays it returns from {@link
 * #backward} are fresh; {@link Pass#hidden()} is a reused buffer, valid until the next call.
 */
final class KernelTrunk {
    private static final int MAX_CACHED_SHAPES = 2; // activations of a 12M model at B·T = 2048 take ~0.5 GB

    private final GptSpec spec;
    private final Map<String, INDArray> params;
    private PhaseTimes times = PhaseTimes.OFF;
    private final Map<String, Buffers> shapes = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Buffers> eldest) {
            return size() > MAX_CACHED_SHAPES;
        }
    };

    KernelTrunk(GptSpec spec, Map<String, INDArray> params) {
        this.spec = spec;
        this.params = params;
    }

    /** Where the kernel groups are timed ({@code ./train bench --profile}). */
    void setPhaseTimes(PhaseTimes times) {
        this.times = times;
    }

    /** Whether the JVM has the Vector API module the kernels need ({@code --add-modules jdk.incubator.vector}). */
    static boolean available() {
        return VectorSupport.available();
    }

    /** A dense FLOAT array and its native buffer. */
    private record Buf(INDArray a, ByteBuffer b) {
        static Buf of(long... shape) {
            INDArray a = Nd4j.create(DataType.FLOAT, shape);
            return new Buf(a, FloatKernels.buffer(a));
        }
    }

    /** Activations of one layer, kept from forward for backward. */
    private static final class LayerActs {
        final Buf xIn;      // [N, C] residual stream entering the block
        final Buf h1;       // [N, C] ln_1 output
        final float[] mean1;
        final float[] rstd1;
        final Buf q;        // [B*H, T, D]
        final Buf k;        // [B*H, T, D]
        final Buf v;        // [B*H, T, D]
        final Buf p;        // [B*H, T, T] attention probabilities
        final Buf y;        // [N, C] heads merged, before c_proj
        final Buf xMid;     // [N, C] residual stream after attention
        final Buf h2;       // [N, C] ln_2 output
        final float[] mean2;
        final float[] rstd2;
        final Buf f;        // [N, 4C] c_fc output (GELU input)
        final Buf act;      // [N, 4C] GELU output

        LayerActs(Buf xIn, int n, int c, int groups, int t, int d) {
            this.xIn = xIn;
            h1 = Buf.of(n, c);
            mean1 = new float[n];
            rstd1 = new float[n];
            q = Buf.of(groups, t, d);
            k = Buf.of(groups, t, d);
            v = Buf.of(groups, t, d);
            p = Buf.of(groups, t, t);
            y = Buf.of(n, c);
            xMid = Buf.of(n, c);
            h2 = Buf.of(n, c);
            mean2 = new float[n];
            rstd2 = new float[n];
            f = Buf.of(n, 4L * c);
            act = Buf.of(n, 4L * c);
        }
    }

    /** Every buffer of one (B, T): activations per layer, the final LayerNorm, backward scratch. */
    private static final class Buffers {
        final int b;
        final int t;
        final LayerActs[] layers;
        final Buf xOut;         // [N, C] residual stream after the last block
        final Buf hidden;       // [N, C] ln_f output
        final float[] meanF;
        final float[] rstdF;
        final Buf qkv;          // [N, 3C]
        final Buf yh;           // [B*H, T, D]
        // backward scratch
        final Buf dx;           // [N, C] gradient of the residual stream
        final Buf dh;           // [N, C]
        final Buf dy;           // [N, C]
        final Buf dAct;         // [N, 4C]
        final Buf dqkv;         // [N, 3C]
        final Buf dyh;          // [B*H, T, D]
        final Buf dq;           // [B*H, T, D]
        final Buf dk;           // [B*H, T, D]
        final Buf dv;           // [B*H, T, D]
        final Buf dp;           // [B*H, T, T]
        final Buf dHidden;      // [N, C] a dense copy of the head's gradient when it is not dense

        Buffers(GptSpec spec, int b, int t) {
            this.b = b;
            this.t = t;
            int n = b * t;
            int c = spec.nEmbd();
            int groups = b * spec.nHead();
            int d = spec.headDim();
            layers = new LayerActs[spec.nLayer()];
            Buf x = Buf.of(n, c);
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new LayerActs(x, n, c, groups, t, d);
                x = Buf.of(n, c);
            }
            xOut = x;
            hidden = Buf.of(n, c);
            meanF = new float[n];
            rstdF = new float[n];
            qkv = Buf.of(n, 3L * c);
            yh = Buf.of(groups, t, d);
            dx = Buf.of(n, c);
            dh = Buf.of(n, c);
            dy = Buf.of(n, c);
            dAct = Buf.of(n, 4L * c);
            dqkv = Buf.of(n, 3L * c);
            dyh = Buf.of(groups, t, d);
            dq = Buf.of(groups, t, d);
            dk = Buf.of(groups, t, d);
            dv = Buf.of(groups, t, d);
            dp = Buf.of(groups, t, t);
            dHidden = Buf.of(n, c);
        }

        /** The residual stream leaving layer l (entering l+1, or the final LayerNorm). */
        Buf xAfter(int l) {
            return l + 1 < layers.length ? layers[l + 1].xIn : xOut;
        }
    }

    /** One forward pass: its hidden state (a reused buffer) and what backward needs. */
    static final class Pass {
        private final Buffers buf;
        private final INDArray bias;
        private final ByteBuffer biasBuf;
        private final int masks;

        private Pass(Buffers buf, INDArray bias, ByteBuffer biasBuf, int masks) {
            this.buf = buf;
            this.bias = bias;
            this.biasBuf = biasBuf;
            this.masks = masks;
        }

        /** ln_f output [B*T, C]; overwritten by the next forward of the same shape. */
        INDArray hidden() {
            return buf.hidden.a;
        }
    }

    /**
     * Forward: emb [B*T, C] (token + position embeddings) → hidden [B*T, C].
     *
     * @param bias additive attention mask [1 or B, 1, T, T] ({@link TokenBatch#attentionBias})
     */
    Pass forward(INDArray emb, INDArray bias, int batch, int seqLen) {
        long tic;
        Buffers buf = shapes.computeIfAbsent(batch + "x" + seqLen, k -> new Buffers(spec, batch, seqLen));
        int n = batch * seqLen;
        int c = spec.nEmbd();
        int heads = spec.nHead();
        int d = spec.headDim();
        int groups = batch * heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        INDArray denseBias = bias.dataType() == DataType.FLOAT && !bias.isView() && bias.ordering() == 'c'
                ? bias : bias.castTo(DataType.FLOAT).dup('c');
        ByteBuffer biasBuf = FloatKernels.buffer(denseBias);
        int masks = (int) denseBias.size(0);
        tic = times.start();
        buf.layers[0].xIn.a.assign(emb);
        times.stop("trunk fwd: residual copies", tic);
        for (int l = 0; l < spec.nLayer(); l++) {
            LayerActs a = buf.layers[l];
            // attention: ln_1, qkv projection, heads, softmax(q·kᵀ/√d + mask), ·v, merge, c_proj, residual
            tic = times.start();
            FloatKernels.layerNorm(a.xIn.b, p(l, "ln_1.weight"), p(l, "ln_1.bias"), a.h1.b, a.mean1, a.rstd1, n, c);
            times.stop("trunk fwd: layer norm", tic);
            tic = times.start();
            Sgemm.gemm(a.h1.a, false, param(l, "attn.c_attn.weight"), false, buf.qkv.a, 1f, 0f);   // [N, 3C]
            times.stop("trunk fwd: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(buf.qkv.b, p(l, "attn.c_attn.bias"), n, 3 * c);
            times.stop("trunk fwd: bias", tic);
            tic = times.start();
            FloatKernels.toHeads(buf.qkv.b, 3 * c, 0, a.q.b, batch, seqLen, heads, d);                 // [B, H, T, D]
            FloatKernels.toHeads(buf.qkv.b, 3 * c, c, a.k.b, batch, seqLen, heads, d);
            FloatKernels.toHeads(buf.qkv.b, 3 * c, 2 * c, a.v.b, batch, seqLen, heads, d);
            times.stop("trunk fwd: head split/merge copies", tic);
            tic = times.start();
            Sgemm.batched(a.q.a, false, a.k.a, true, a.p.a, 1f, 0f);                                    // [B*H, T, T]
            times.stop("trunk fwd: attention matmul", tic);
            tic = times.start();
            FloatKernels.attentionSoftmax(a.p.b, scale, biasBuf, masks, heads, groups, seqLen);
            times.stop("trunk fwd: softmax", tic);
            tic = times.start();
            Sgemm.batched(a.p.a, false, a.v.a, false, buf.yh.a, 1f, 0f);                                // [B*H, T, D]
            times.stop("trunk fwd: attention matmul", tic);
            tic = times.start();
            FloatKernels.fromHeads(buf.yh.b, a.y.b, c, 0, batch, seqLen, heads, d);                   // [N, C]
            times.stop("trunk fwd: head split/merge copies", tic);
            tic = times.start();
            FloatKernels.copy(a.xIn.b, 0, a.xMid.b, 0, n * c);
            times.stop("trunk fwd: residual copies", tic);
            tic = times.start();
            Sgemm.gemm(a.y.a, false, param(l, "attn.c_proj.weight"), false, a.xMid.a, 1f, 1f);      // [N, C]
            times.stop("trunk fwd: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(a.xMid.b, p(l, "attn.c_proj.bias"), n, c);
            times.stop("trunk fwd: bias", tic);
            // MLP: ln_2, c_fc, GELU, c_proj, residual
            tic = times.start();
            FloatKernels.layerNorm(a.xMid.b, p(l, "ln_2.weight"), p(l, "ln_2.bias"), a.h2.b, a.mean2, a.rstd2, n, c);
            times.stop("trunk fwd: layer norm", tic);
            tic = times.start();
            Sgemm.gemm(a.h2.a, false, param(l, "mlp.c_fc.weight"), false, a.f.a, 1f, 0f);          // [N, 4C]
            times.stop("trunk fwd: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(a.f.b, p(l, "mlp.c_fc.bias"), n, 4 * c);
            times.stop("trunk fwd: bias", tic);
            tic = times.start();
            FloatKernels.gelu(a.f.b, a.act.b, n * 4 * c);
            times.stop("trunk fwd: gelu", tic);
            Buf out = buf.xAfter(l);
            tic = times.start();
            FloatKernels.copy(a.xMid.b, 0, out.b, 0, n * c);
            times.stop("trunk fwd: residual copies", tic);
            tic = times.start();
            Sgemm.gemm(a.act.a, false, param(l, "mlp.c_proj.weight"), false, out.a, 1f, 1f);        // [N, C]
            times.stop("trunk fwd: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(out.b, p(l, "mlp.c_proj.bias"), n, c);
            times.stop("trunk fwd: bias", tic);
        }
        tic = times.start();
        FloatKernels.layerNorm(buf.xOut.b, p(ParamNames.LN_F_WEIGHT), p(ParamNames.LN_F_BIAS), buf.hidden.b,
                buf.meanF, buf.rstdF, n, c);
        times.stop("trunk fwd: layer norm", tic);
        return new Pass(buf, denseBias, biasBuf, masks);
    }

    /**
     * Backward of {@code pass} (the latest forward of its shape): d hidden [B*T, C] → the gradient
     * of every trunk parameter (fresh arrays, by name, in layer order) and, under {@link
     * GptGraph#EMB}, d emb [B*T, C].
     */
    Map<String, INDArray> backward(Pass pass, INDArray dHidden) {
        long tic;
        Buffers buf = pass.buf;
        int batch = buf.b;
        int seqLen = buf.t;
        int n = batch * seqLen;
        int c = spec.nEmbd();
        int heads = spec.nHead();
        int d = spec.headDim();
        int groups = batch * heads;
        float scale = (float) (1.0 / Math.sqrt(d));
        Map<String, INDArray> grads = new LinkedHashMap<>();
        ByteBuffer dHid;
        if (dHidden.dataType() == DataType.FLOAT && !dHidden.isView() && dHidden.ordering() == 'c'
                && dHidden.data().length() == dHidden.length()) {
            dHid = FloatKernels.buffer(dHidden);
        } else {
            buf.dHidden.a.assign(dHidden);
            dHid = buf.dHidden.b;
        }
        // final LayerNorm
        buf.dx.a.assign(0);
        float[] dg = new float[c];
        float[] db = new float[c];
        tic = times.start();
        FloatKernels.layerNormBackward(buf.xOut.b, buf.meanF, buf.rstdF, p(ParamNames.LN_F_WEIGHT), dHid, buf.dx.b,
                dg, db, n, c);
        times.stop("trunk bwd: layer norm", tic);
        Map<String, INDArray> last = new LinkedHashMap<>();
        last.put(ParamNames.LN_F_WEIGHT, vector(dg));
        last.put(ParamNames.LN_F_BIAS, vector(db));
        Map<String, INDArray>[] perLayer = new Map[spec.nLayer()];
        for (int l = spec.nLayer() - 1; l >= 0; l--) {
            LayerActs a = buf.layers[l];
            Map<String, INDArray> g = new LinkedHashMap<>();
            // MLP: x_out = x_mid + gelu(ln_2(x_mid)·W_fc + b_fc)·W_proj + b_proj; buf.dx = d x_out
            INDArray[] proj2 = linearBackward(a.act.a, buf.dx, param(l, "mlp.c_proj.weight"), buf.dAct.a,
                    4 * c, c, n);                                                               // d act [N, 4C]
            INDArray dWp2 = proj2[0];                                                                  // [4C, C]
            INDArray dbp2 = proj2[1];                                                                  // [C]
            tic = times.start();
            FloatKernels.geluBackward(a.f.b, buf.dAct.b, buf.dAct.b, n * 4 * c);                     // d c_fc output
            times.stop("trunk bwd: gelu", tic);
            INDArray[] fc = linearBackward(a.h2.a, buf.dAct, param(l, "mlp.c_fc.weight"),
                    buf.dh.a, c, 4 * c, n);  // d h2 [N, C]
            INDArray dWfc = fc[0];                                                                     // [C, 4C]
            INDArray dbfc = fc[1];                                                                     // [4C]
            float[] dg2 = new float[c];
            float[] db2 = new float[c];
            tic = times.start();
            FloatKernels.layerNormBackward(a.xMid.b, a.mean2, a.rstd2, p(l, "ln_2.weight"), buf.dh.b, buf.dx.b,
                    dg2, db2, n, c);                                                                   // buf.dx = d x_mid
            times.stop("trunk bwd: layer norm", tic);
            // attention: x_mid = x_in + merge(softmax(q·kᵀ·s + mask)·v)·W_proj + b_proj
            INDArray[] proj = linearBackward(a.y.a, buf.dx, param(l, "attn.c_proj.weight"),
                    buf.dy.a, c, c, n);  // d y [N, C]
            INDArray dWp = proj[0];                                                                    // [C, C]
            INDArray dbp = proj[1];                                                                    // [C]
            tic = times.start();
            FloatKernels.toHeads(buf.dy.b, c, 0, buf.dyh.b, batch, seqLen, heads, d);                 // [B, H, T, D]
            times.stop("trunk bwd: head split/merge copies", tic);
            tic = times.start();
            Sgemm.batched(buf.dyh.a, false, a.v.a, true, buf.dp.a, 1f, 0f);                             // d probs [B*H, T, T]
            times.stop("trunk bwd: attention matmul", tic);
            tic = times.start();
            Sgemm.batched(a.p.a, true, buf.dyh.a, false, buf.dv.a, 1f, 0f);                             // d v [B*H, T, D]
            times.stop("trunk bwd: attention matmul", tic);
            tic = times.start();
            FloatKernels.softmaxBackward(a.p.b, buf.dp.b, scale, groups * seqLen, seqLen);            // d (q·kᵀ)
            times.stop("trunk bwd: softmax", tic);
            tic = times.start();
            Sgemm.batched(buf.dp.a, false, a.k.a, false, buf.dq.a, 1f, 0f);                             // d q [B*H, T, D]
            times.stop("trunk bwd: attention matmul", tic);
            tic = times.start();
            Sgemm.batched(buf.dp.a, true, a.q.a, false, buf.dk.a, 1f, 0f);                              // d k [B*H, T, D]
            times.stop("trunk bwd: attention matmul", tic);
            tic = times.start();
            FloatKernels.fromHeads(buf.dq.b, buf.dqkv.b, 3 * c, 0, batch, seqLen, heads, d);           // [N, 3C]
            FloatKernels.fromHeads(buf.dk.b, buf.dqkv.b, 3 * c, c, batch, seqLen, heads, d);
            FloatKernels.fromHeads(buf.dv.b, buf.dqkv.b, 3 * c, 2 * c, batch, seqLen, heads, d);
            times.stop("trunk bwd: head split/merge copies", tic);
            INDArray[] qkv = linearBackward(a.h1.a, buf.dqkv, param(l, "attn.c_attn.weight"),
                    buf.dh.a, c, 3 * c, n);  // d h1 [N, C]
            INDArray dWqkv = qkv[0];                                                                   // [C, 3C]
            INDArray dbqkv = qkv[1];                                                                   // [3C]
            float[] dg1 = new float[c];
            float[] db1 = new float[c];
            tic = times.start();
            FloatKernels.layerNormBackward(a.xIn.b, a.mean1, a.rstd1, p(l, "ln_1.weight"), buf.dh.b, buf.dx.b,
                    dg1, db1, n, c);                                                                   // buf.dx = d x_in
            times.stop("trunk bwd: layer norm", tic);
            g.put(layer(l, "ln_1.weight"), vector(dg1));
            g.put(layer(l, "ln_1.bias"), vector(db1));
            g.put(layer(l, "attn.c_attn.weight"), dWqkv);
            g.put(layer(l, "attn.c_attn.bias"), dbqkv);
            g.put(layer(l, "attn.c_proj.weight"), dWp);
            g.put(layer(l, "attn.c_proj.bias"), dbp);
            g.put(layer(l, "ln_2.weight"), vector(dg2));
            g.put(layer(l, "ln_2.bias"), vector(db2));
            g.put(layer(l, "mlp.c_fc.weight"), dWfc);
            g.put(layer(l, "mlp.c_fc.bias"), dbfc);
            g.put(layer(l, "mlp.c_proj.weight"), dWp2);
            g.put(layer(l, "mlp.c_proj.bias"), dbp2);
            perLayer[l] = g;
        }
        for (Map<String, INDArray> g : perLayer) {
            grads.putAll(g);
        }
        grads.putAll(last);
        grads.put(GptGraph.EMB, buf.dx.a.dup());
        return grads;
    }

    /**
     * Backward of a linear layer y = x·W + b over n rows: returns {dW [in, out], db [out]} and writes
     * dx = dy·Wᵀ [n, in] into {@code dx}.
     */
    private INDArray[] linearBackward(INDArray x, Buf dy, INDArray w, INDArray dx, int in, int out, int n) {
        INDArray dW = Nd4j.createUninitialized(DataType.FLOAT, in, out);                         // [in, out]
        long tic = times.start();
        Sgemm.gemm(x, true, dy.a(), false, dW, 1f, 0f);
        times.stop("trunk bwd: gemm", tic);
        tic = times.start();
        INDArray db = columnSum(dy.b(), n, out);                                                  // [out]
        times.stop("trunk bwd: bias", tic);
        tic = times.start();
        Sgemm.gemm(dy.a(), false, w, true, dx, 1f, 0f);                                         // [n, in]
        times.stop("trunk bwd: gemm", tic);
        return new INDArray[] {dW, db};
    }

    private static INDArray columnSum(ByteBuffer x, int rows, int cols) {
        float[] out = new float[cols];
        FloatKernels.columnSum(x, out, rows, cols);
        return vector(out);
    }

    private static INDArray vector(float[] values) {
        return Nd4j.create(values, new long[] {values.length}, 'c');
    }

    private INDArray param(int l, String suffix) {
        return param(layer(l, suffix));
    }

    private INDArray param(String name) {
        INDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("the model has no parameter " + name);
        }
        return a;
    }

    private ByteBuffer p(int l, String suffix) {
        return FloatKernels.buffer(param(l, suffix));
    }

    private ByteBuffer p(String name) {
        return FloatKernels.buffer(param(name));
    }
}
