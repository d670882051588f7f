package rlhf4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link Ops} as plain ND4J operations on arrays of any dtype, forward only, over a {@link KvCache}:
 * the decoding engine for models the kernels do not serve (DOUBLE models, or a JVM without the
 * Vector API), using the same native LayerNorm and GELU as the SameDiff graph. One instance serves
 * one decoding step of n new tokens per sequence.
 */
public final class NdOps implements Ops<INDArray> {
    private final GptSpec spec;
    private final Map<String, INDArray> params;
    private final KvCache cache;
    private final int n;
    private final int start;
    private final int[] tokens;
    private final int[] positions;
    private final Rotary rotary;
    private INDArray bias;                                                                   // [B, 1, n, L]

    NdOps(GptSpec spec, Map<String, INDArray> params, KvCache cache, int n, int start, int[] tokens,
          int[] positions, Rotary rotary) {
        this.spec = spec;
        this.params = params;
        this.cache = cache;
        this.n = n;
        this.start = start;
        this.tokens = tokens;
        this.positions = positions;
        this.rotary = rotary;
    }

    @Override
    public INDArray param(String name) {
        INDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("the model has no parameter " + name);
        }
        return a;
    }

    @Override
    public INDArray embed(String tokenTable, String positionTable) {
        INDArray x = Nd4j.pullRows(param(tokenTable), 1, tokens);                           // [N, C]
        return positionTable == null ? x : x.addi(Nd4j.pullRows(param(positionTable), 1, positions));
    }

    @Override
    public INDArray linear(INDArray x, INDArray w, INDArray b) {
        INDArray y = x.mmul(w);                                                              // [N, out]
        return b == null ? y : y.addiRowVector(b);
    }

    @Override
    public List<INDArray> split(INDArray x, int... widths) {
        List<INDArray> parts = new ArrayList<>(widths.length);
        int offset = 0;
        for (int w : widths) {
            parts.add(x.get(NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + w)).dup('c')); // [N, w]
            offset += w;
        }
        if (offset != x.size(1)) {
            throw new IllegalArgumentException("parts of " + offset + " columns for a tensor of " + x.size(1));
        }
        return parts;
    }

    @Override
    public INDArray layerNorm(INDArray x, INDArray gain, INDArray bias, double eps) {
        if (eps != 0) {                                                                     // as Blocks.layerNorm
            INDArray centred = x.subColumnVector(x.mean(true, 1));                          // [N, C]
            INDArray std = Transforms.sqrt(centred.mul(centred).mean(true, 1).addi(eps), false); // [N, 1]
            return centred.diviColumnVector(std).muliRowVector(gain).addiRowVector(bias);
        }
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());                   // [N, C]
        Nd4j.exec(new LayerNorm(x, gain, bias, out, false, 1));
        return out;
    }

    @Override
    public INDArray rmsNorm(INDArray x, INDArray gain) {
        INDArray rms = Transforms.sqrt(x.mul(x).mean(true, 1).addi(spec.rmsNormEpsilon()), false); // [N, 1]
        return x.divColumnVector(rms).muliRowVector(gain);                                    // [N, C]
    }

    @Override
    public INDArray rotary(INDArray x, int heads) {
        if (rotary == null) {
            throw new IllegalStateException("this model has no rotary positions (model.position: learned)");
        }
        return rotary.apply(x, positions);                                                  // [N, heads·D]
    }

    @Override
    public INDArray gelu(INDArray x) {
        return Nd4j.exec(new GELU(x, x.ulike()));
    }

    @Override
    public INDArray geluTanh(INDArray x) {
        INDArray u = x.mul(x).muli(x).muli(0.044715).addi(x);                               // x + 0.044715x³
        return Transforms.sigmoid(u.muli(1.5957691216057308), false).muli(x);
    }

    @Override
    public INDArray swiglu(INDArray gate, INDArray up) {
        return Transforms.sigmoid(gate, true).muli(gate).muli(up);                           // [N, I]
    }

    @Override
    public INDArray add(INDArray x, INDArray y) {
        return x.add(y);
    }

    /**
     * Attention of the step's queries over the cache, after appending the step's keys and values to it. The g = H /
     * Hkv query heads of one key/value head are consecutive, so the queries [B, H, n, D] are [B, Hkv, g·n, D] and
     * one product per key/value head scores them all (as the training engines do).
     */
    @Override
    public INDArray causalAttention(int layer, INDArray q, INDArray k, INDArray v) {
        int b = cache.batch;
        int heads = spec.nHead();
        int kvHeads = spec.nKvHead();
        int group = heads / kvHeads;
        int d = spec.headDim();
        int c = spec.nEmbd();
        int end = start + n;
        INDArray qh = q.reshape(b, n, heads, d).permute(0, 2, 1, 3).dup('c');               // [B, H, n, D]
        cache.keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end),
                NDArrayIndex.all()).assign(k.reshape(b, n, kvHeads, d).permute(0, 2, 1, 3));
        cache.values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end),
                NDArrayIndex.all()).assign(v.reshape(b, n, kvHeads, d).permute(0, 2, 1, 3));
        INDArray keys = cache.keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, end),
                NDArrayIndex.all());                                                        // [B, Hkv, L, D]
        INDArray values = cache.values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(0, end), NDArrayIndex.all());                         // [B, Hkv, L, D]
        INDArray qg = group == 1 ? qh : qh.reshape(b, kvHeads, (long) group * n, d);       // [B, Hkv, g·n, D]
        INDArray raw = Nd4j.matmul(qg, keys, false, true, false);                           // [B, Hkv, g·n, L]
        INDArray scores = (group == 1 ? raw : raw.reshape(b, heads, n, end))
                .muli(1.0 / Math.sqrt(d)).addi(bias(end));                                  // [B, H, n, L]
        INDArray probs = Nd4j.exec(new SoftMax(scores, scores, 3))[0];                       // [B, H, n, L]
        INDArray pg = group == 1 ? probs : probs.reshape(b, kvHeads, (long) group * n, end); // [B, Hkv, g·n, L]
        INDArray out = Nd4j.matmul(pg, values);                                             // [B, Hkv, g·n, D]
        INDArray yh = group == 1 ? out : out.reshape(b, heads, n, d);                       // [B, H, n, D]
        return yh.permute(0, 2, 1, 3).dup('c').reshape(b * n, c);                           // [B*n, C]
    }

    @Override
    public INDArray logits(INDArray x, INDArray table, double scale) {
        INDArray z = x.mmul(table.transpose());                                              // [N, V]
        return scale == 1.0 ? z : z.muli(scale);
    }

    @Override
    public INDArray tokenLogProbs(INDArray logits, int[] targets) {
        INDArray logp = logSoftmax(logits);                                                  // [N, V]
        INDArray out = Nd4j.create(logits.dataType(), targets.length);                       // [N]
        for (int r = 0; r < targets.length; r++) {
            out.putScalar(r, logp.getDouble(r, targets[r]));
        }
        return out;
    }

    @Override
    public INDArray entropy(INDArray logits) {
        INDArray logp = logSoftmax(logits);                                                  // [N, V]
        return Transforms.exp(logp, true).muli(logp).sum(1).negi();                          // [N]
    }

    /** Each row of z [N, V] minus its log-sum-exp, computed from the row maximum (no overflow). */
    public static INDArray logSoftmax(INDArray z) {
        INDArray shifted = z.subColumnVector(z.max(true, 1));                                 // [N, V]
        INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);    // [N, 1]
        return shifted.subiColumnVector(lse);
    }

    /**
     * Additive mask [B, 1, n, L] for the n new queries at absolute positions start..end-1: a query
     * sees earlier real tokens of its sequence, and a padding query sees itself (as {@link
     * TokenBatch#attentionBias} masks a training batch).
     */
    private INDArray bias(int end) {
        if (bias != null) {
            return bias;
        }
        int b = cache.batch;
        double[] values = new double[b * n * end];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < n; q++) {
                int absQ = start + q;
                boolean queryValid = cache.keyValid[i * cache.capacity + absQ] != 0;
                for (int k = 0; k < end; k++) {
                    boolean visible = k <= absQ && cache.keyValid[i * cache.capacity + k] != 0;
                    boolean self = k == absQ && !queryValid;
                    values[(i * n + q) * end + k] = visible || self ? 0.0 : TokenBatch.MASKED;
                }
            }
        }
        DataType dtype = params.get(ParamNames.WTE).dataType();
        bias = Nd4j.create(values, new long[] {b, 1, n, end}, dtype);
        return bias;
    }
}
