package rlhf4j.model;

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
        return x.mmul(w).addiRowVector(b);                                                   // [N, out]
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
        INDArray rms = Transforms.sqrt(x.mul(x).mean(true, 1).addi(Norm.RMS_EPSILON), false); // [N, 1]
        return x.divColumnVector(rms).muliRowVector(gain);                                    // [N, C]
    }

    @Override
    public INDArray rotary(INDArray qkv) {
        if (rotary == null) {
            throw new IllegalStateException("this model has no rotary positions (model.position: learned)");
        }
        return rotary.apply(qkv, positions);                                                // [N, 3C]
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
    public INDArray add(INDArray x, INDArray y) {
        return x.add(y);
    }

    @Override
    public INDArray causalAttention(int layer, INDArray qkv) {
        int b = cache.batch;
        int heads = spec.nHead();
        int d = spec.headDim();
        int c = spec.nEmbd();
        int end = start + n;
        INDArray split = qkv.reshape(b, n, 3, heads, d).permute(2, 0, 3, 1, 4);             // [3, B, H, n, D]
        INDArray q = split.get(NDArrayIndex.point(0)).dup('c');                             // [B, H, n, D]
        cache.keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end),
                NDArrayIndex.all()).assign(split.get(NDArrayIndex.point(1)));
        cache.values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end),
                NDArrayIndex.all()).assign(split.get(NDArrayIndex.point(2)));
        INDArray k = cache.keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, end),
                NDArrayIndex.all());                                                        // [B, H, L, D]
        INDArray v = cache.values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, end),
                NDArrayIndex.all());                                                        // [B, H, L, D]
        INDArray scores = Nd4j.matmul(q, k, false, true, false).muli(1.0 / Math.sqrt(d)).addi(bias(end)); // [B, H, n, L]
        INDArray probs = Nd4j.exec(new SoftMax(scores, scores, 3))[0];                       // [B, H, n, L]
        return Nd4j.matmul(probs, v).permute(0, 2, 1, 3).dup('c').reshape(b * n, c);         // [B*n, C]
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
