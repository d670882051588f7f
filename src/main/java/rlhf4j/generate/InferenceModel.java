package rlhf4j.generate;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import rlhf4j.model.GptSpec;
import rlhf4j.model.ParamNames;
import rlhf4j.model.TokenBatch;

import static rlhf4j.model.ParamNames.layer;

/**
 * The GPT forward pass over plain ND4J arrays with a key/value cache, for sampling: no graph, no
 * gradients, each new token costs one row per layer. Uses the same native LayerNorm and GELU ops as
 * the training graph, so its logits equal the graph's (tested to 1e-4).
 */
public final class InferenceModel {
    private final GptSpec spec;
    private final Map<String, INDArray> p;

    public InferenceModel(GptSpec spec, Map<String, INDArray> params) {
        this.spec = spec;
        this.p = params;
    }

    public GptSpec spec() {
        return spec;
    }

    public KvCache newCache(int batch, int capacity) {
        if (capacity > spec.blockSize()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " exceeds block_size " + spec.blockSize());
        }
        DataType dtype = p.get(ParamNames.WTE).dataType();
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
