package rlhf4j.generate;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.model.Gpt;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.model.PhaseTimes;
import rlhf4j.model.TokenBatch;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.Sgemm;

import static rlhf4j.model.ParamNames.layer;

/**
 * The GPT forward pass with a key/value cache, for sampling: no graph, no gradients, each new token
 * costs one row per layer. FLOAT models run BLAS projections and {@link FloatKernels} (the kernels
 * the training trunk uses); other dtypes run ND4J ops, with the same native LayerNorm and GELU as
 * the training graph. Either way the logits equal the graph's (tested to 1e-4). Not thread-safe.
 */
public final class InferenceModel {
    private final GptSpec spec;
    private final Map<String, INDArray> p;
    private final boolean kernels;
    private final Map<Integer, Scratch> scratch = new HashMap<>();  // by B*n
    private final Map<String, INDArray> transposed = new HashMap<>(); // projection weights, [out, in]
    private PhaseTimes times = PhaseTimes.OFF;

    /** FLOAT parameters run the kernel path when the Vector API is there (as {@link Gpt#defaultEngine()} decides). */
    public InferenceModel(GptSpec spec, Map<String, INDArray> params) {
        this.spec = spec;
        this.p = params;
        this.kernels = params.get(ParamNames.WTE).dataType() == DataType.FLOAT && Gpt.defaultEngine() == Gpt.Engine.KERNELS
                && params.values().stream().noneMatch(INDArray::isView);
    }

    /** Where the kernel path's phases are timed ({@code ./train bench --profile}). */
    public void setPhaseTimes(PhaseTimes times) {
        this.times = times == null ? PhaseTimes.OFF : times;
    }

    public GptSpec spec() {
        return spec;
    }

    public KvCache newCache(int batch, int capacity) {
        if (capacity > spec.blockSize()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " exceeds block_size " + spec.blockSize());
        }
        DataType dtype = p.get(ParamNames.WTE).dataType();
        if (kernels) {
            transposeWeights();
        }
        return new KvCache(spec.nLayer(), batch, spec.nHead(), capacity, spec.headDim(), dtype);
    }

    /**
     * Appends {@code n} tokens per sequence to the cache and returns their logits.
     *
     * @param tokens    [B*n] token ids, row-major
     * @param positions [B*n] position ids
     * @param valid     [B*n] 1 for a real token, 0 for padding
     * @return logits [B*n, V]
     */
    public INDArray forward(KvCache cache, int n, int[] tokens, int[] positions, int[] valid) {
        int b = cache.batch;
        int start = cache.length;
        int end = start + n;
        if (end > cache.capacity) {
            throw new IllegalStateException("KV cache full: " + end + " > " + cache.capacity);
        }
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                cache.keyValid[i * cache.capacity + start + j] = valid[i * n + j];
            }
        }
        if (kernels) {
            return forwardKernels(cache, n, tokens, positions, start, end);
        }
        INDArray x = Nd4j.pullRows(p.get(ParamNames.WTE), 1, tokens)
                .addi(Nd4j.pullRows(p.get(ParamNames.WPE), 1, positions));                                  // [B*n, C]
        INDArray bias = attentionBias(cache, n, start, end);                                              // [B, 1, n, end]
        for (int l = 0; l < spec.nLayer(); l++) {
            INDArray h = layerNorm(x, layer(l, "ln_1.weight"), layer(l, "ln_1.bias"));                   // [B*n, C]
            x.addi(attention(cache, l, h, bias, n, start, end));                                          // [B*n, C]
            INDArray h2 = layerNorm(x, layer(l, "ln_2.weight"), layer(l, "ln_2.bias"));                  // [B*n, C]
            x.addi(mlp(h2, l));                                                                           // [B*n, C]
        }
        cache.length = end;
        INDArray hf = layerNorm(x, ParamNames.LN_F_WEIGHT, ParamNames.LN_F_BIAS);                         // [B*n, C]
        return hf.mmul(p.get(ParamNames.WTE).transpose());                                                // [B*n, V]
    }

    /** Scratch arrays of the kernel path for one (B, n), reused by every step of that shape. */
    private static final class Scratch {
        final INDArray x;      // [B*n, C] residual stream
        final INDArray h;      // [B*n, C] LayerNorm output
        final INDArray qkv;    // [B*n, 3C]
        final INDArray y;      // [B*n, C] attention output, heads merged
        final INDArray f;      // [B*n, 4C]
        final ByteBuffer xb;
        final ByteBuffer hb;
        final ByteBuffer qkvb;
        final ByteBuffer yb;
        final ByteBuffer fb;
        final float[] mean;
        final float[] rstd;
        final float[] scores;

        Scratch(int rows, int c, int cap) {
            x = Nd4j.create(DataType.FLOAT, rows, c);
            h = Nd4j.create(DataType.FLOAT, rows, c);
            qkv = Nd4j.create(DataType.FLOAT, rows, 3L * c);
            y = Nd4j.create(DataType.FLOAT, rows, c);
            f = Nd4j.create(DataType.FLOAT, rows, 4L * c);
            xb = FloatKernels.buffer(x);
            hb = FloatKernels.buffer(h);
            qkvb = FloatKernels.buffer(qkv);
            yb = FloatKernels.buffer(y);
            fb = FloatKernels.buffer(f);
            mean = new float[rows];
            rstd = new float[rows];
            scores = new float[cap];
        }
    }

    /**
     * The FLOAT path: the same computation as the ND4J-op path below, with one BLAS call per
     * projection and the row-wise work (embedding, LayerNorm, cached attention, GELU, biases) in
     * {@link FloatKernels}, on scratch arrays reused from step to step. The per-step cost of the
     * op path was dominated by ~25 small ND4J calls and index views per layer.
     */
    private INDArray forwardKernels(KvCache cache, int n, int[] tokens, int[] positions, int start, int end) {
        long tic;
        int b = cache.batch;
        int rows = b * n;
        int c = spec.nEmbd();
        int heads = spec.nHead();
        int d = spec.headDim();
        Scratch s = scratch.get(rows);
        if (s == null || s.scores.length < cache.capacity) {
            s = new Scratch(rows, c, spec.blockSize());
            scratch.put(rows, s);
        }
        tic = times.start();
        FloatKernels.gatherAdd(buf(ParamNames.WTE), tokens, buf(ParamNames.WPE), positions, s.xb, c);      // [B*n, C]
        times.stop("decode: embedding", tic);
        float scale = (float) (1.0 / Math.sqrt(d));
        for (int l = 0; l < spec.nLayer(); l++) {
            tic = times.start();
            FloatKernels.layerNorm(s.xb, buf(layer(l, "ln_1.weight")), buf(layer(l, "ln_1.bias")), s.hb, s.mean,
                    s.rstd, rows, c);                                                                      // [B*n, C]
            times.stop("decode: layer norm", tic);
            tic = times.start();
            project(s.h, layer(l, "attn.c_attn.weight"), s.qkv, false);                                  // [B*n, 3C]
            times.stop("decode: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(s.qkvb, buf(layer(l, "attn.c_attn.bias")), rows, 3 * c);
            times.stop("decode: bias", tic);
            tic = times.start();
            FloatKernels.cachedAttention(s.qkvb, FloatKernels.buffer(cache.keys[l]), FloatKernels.buffer(cache.values[l]),
                    cache.keyValid, s.yb, s.scores, b, heads, n, start, cache.capacity, d, scale);          // [B*n, C]
            times.stop("decode: cached attention", tic);
            tic = times.start();
            project(s.y, layer(l, "attn.c_proj.weight"), s.x, true);                                     // x += y·W
            times.stop("decode: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(s.xb, buf(layer(l, "attn.c_proj.bias")), rows, c);
            times.stop("decode: bias", tic);
            tic = times.start();
            FloatKernels.layerNorm(s.xb, buf(layer(l, "ln_2.weight")), buf(layer(l, "ln_2.bias")), s.hb, s.mean,
                    s.rstd, rows, c);                                                                      // [B*n, C]
            times.stop("decode: layer norm", tic);
            tic = times.start();
            project(s.h, layer(l, "mlp.c_fc.weight"), s.f, false);                                       // [B*n, 4C]
            times.stop("decode: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(s.fb, buf(layer(l, "mlp.c_fc.bias")), rows, 4 * c);
            times.stop("decode: bias", tic);
            tic = times.start();
            FloatKernels.gelu(s.fb, s.fb, rows * 4 * c);
            times.stop("decode: gelu", tic);
            tic = times.start();
            project(s.f, layer(l, "mlp.c_proj.weight"), s.x, true);                                      // x += act·W
            times.stop("decode: gemm", tic);
            tic = times.start();
            FloatKernels.addRow(s.xb, buf(layer(l, "mlp.c_proj.bias")), rows, c);
            times.stop("decode: bias", tic);
        }
        cache.length = end;
        tic = times.start();
        FloatKernels.layerNorm(s.xb, buf(ParamNames.LN_F_WEIGHT), buf(ParamNames.LN_F_BIAS), s.hb, s.mean, s.rstd,
                rows, c);                                                                                  // [B*n, C]
        times.stop("decode: layer norm", tic);
        tic = times.start();
        INDArray logits = Nd4j.createUninitialized(DataType.FLOAT, rows, spec.vocabSize());               // [B*n, V]
        times.stop("decode: logits alloc", tic);
        tic = times.start();
        Sgemm.gemm(s.h, false, p.get(ParamNames.WTE), true, logits, 1f, 0f);
        times.stop("decode: gemm", tic);
        return logits;
    }

    private static final String[] PROJECTIONS = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
        "mlp.c_proj.weight"};

    /**
     * Copies of the projection weights [in, out] transposed to [out, in], read by the kernel path:
     * with a few rows per step, OpenBLAS runs x·Wᵀ over [out, in] rows 1.4–1.6× faster than x·W
     * over [in, out] (measured for 16 rows of the 12M shape). Made when a cache is made, i.e. once
     * per generation: parameters updated between generations are picked up.
     */
    private void transposeWeights() {
        for (int l = 0; l < spec.nLayer(); l++) {
            for (String w : PROJECTIONS) {
                String name = layer(l, w);
                INDArray wt = transposed.get(name);
                INDArray src = p.get(name);                                                            // [in, out]
                if (wt == null) {
                    wt = Nd4j.createUninitialized(DataType.FLOAT, src.size(1), src.size(0));          // [out, in]
                    transposed.put(name, wt);
                }
                wt.assign(src.transpose());
            }
        }
    }

    /** y = x·W (or y += x·W with accumulate) through the transposed copy of W. */
    private void project(INDArray x, String weight, INDArray y, boolean accumulate) {
        Sgemm.gemm(x, false, transposed.get(weight), true, y, 1f, accumulate ? 1f : 0f);
    }

    private ByteBuffer buf(String name) {
        return FloatKernels.buffer(p.get(name));
    }

    private INDArray attention(KvCache cache, int l, INDArray h, INDArray bias, int n, int start, int end) {
        int b = cache.batch;
        int heads = spec.nHead();
        int d = spec.headDim();
        int c = spec.nEmbd();
        INDArray qkv = linear(h, layer(l, "attn.c_attn.weight"), layer(l, "attn.c_attn.bias"));           // [B*n, 3C]
        INDArray split = qkv.reshape(b, n, 3, heads, d).permute(2, 0, 3, 1, 4);                           // [3, B, H, n, D]
        INDArray q = split.get(NDArrayIndex.point(0)).dup('c');                                          // [B, H, n, D]
        cache.keys[l].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end), NDArrayIndex.all())
                .assign(split.get(NDArrayIndex.point(1)));
        cache.values[l].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end), NDArrayIndex.all())
                .assign(split.get(NDArrayIndex.point(2)));
        INDArray k = cache.keys[l].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, end),
                NDArrayIndex.all());                                                                     // [B, H, L, D]
        INDArray v = cache.values[l].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, end),
                NDArrayIndex.all());                                                                     // [B, H, L, D]
        INDArray scores = Nd4j.matmul(q, k, false, true, false).muli(1.0 / Math.sqrt(d)).addi(bias);      // [B, H, n, L]
        INDArray probs = Nd4j.exec(new SoftMax(scores, scores, 3))[0];                                    // [B, H, n, L]
        INDArray y = Nd4j.matmul(probs, v).permute(0, 2, 1, 3).dup('c').reshape(b * n, c);                // [B*n, C]
        return linear(y, layer(l, "attn.c_proj.weight"), layer(l, "attn.c_proj.bias"));                  // [B*n, C]
    }

    /** Additive mask [B, 1, n, L] for n new queries at absolute positions start..end-1. */
    private INDArray attentionBias(KvCache cache, int n, int start, int end) {
        int b = cache.batch;
        double[] bias = new double[b * n * end];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < n; q++) {
                int absQ = start + q;
                boolean queryValid = cache.keyValid[i * cache.capacity + absQ] != 0;
                for (int k = 0; k < end; k++) {
                    boolean visible = k <= absQ && cache.keyValid[i * cache.capacity + k] != 0;
                    boolean self = k == absQ && !queryValid;
                    bias[(i * n + q) * end + k] = visible || self ? 0.0 : TokenBatch.MASKED;
                }
            }
        }
        DataType dtype = p.get(ParamNames.WTE).dataType();
        return Nd4j.create(bias, new long[] {b, 1, n, end}, dtype);
    }

    private INDArray mlp(INDArray h, int l) {
        INDArray fc = linear(h, layer(l, "mlp.c_fc.weight"), layer(l, "mlp.c_fc.bias"));                 // [B*n, 4C]
        INDArray act = Nd4j.exec(new GELU(fc, fc));                                                       // [B*n, 4C]
        return linear(act, layer(l, "mlp.c_proj.weight"), layer(l, "mlp.c_proj.bias"));                  // [B*n, C]
    }

    private INDArray linear(INDArray x, String weight, String bias) {
        return x.mmul(p.get(weight)).addiRowVector(p.get(bias));
    }

    private INDArray layerNorm(INDArray x, String gain, String bias) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());                                // [N, C]
        Nd4j.exec(new LayerNorm(x, p.get(gain), p.get(bias), out, false, 1));
        return out;
    }
}
