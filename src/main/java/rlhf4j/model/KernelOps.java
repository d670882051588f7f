package rlhf4j.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.nn.FloatKernels;
import rlhf4j.nn.Gemm;

/**
 * {@link Ops} for FLOAT models on the CPU: each operation runs at once — matrix products as single
 * calls of a {@link Gemm}, row- and element-wise work as one {@link FloatKernels} pass — into
 * buffers from an {@link Arena}, so that passes of one shape allocate nothing after the first. With
 * a {@link Tape}, each operation also records its own backward, and {@link #backward} composes them:
 * the model's gradient is never written by hand, only each operation's.
 *
 * <p>No timing here: {@link TimedOps} times the forward operations, the {@link Tape} the backward
 * ones ({@code ./train bench --profile}).
 *
 * <p>Attention is either over a training batch, with the additive mask of {@link
 * TokenBatch#attentionBias}, or over a {@link KvCache} when decoding (forward only). One instance
 * serves one pass; not thread-safe.
 */
final class KernelOps implements Ops<Tensor> {
    private final GptSpec spec;
    private final Map<String, INDArray> params;
    private final Arena arena;
    private final Tape tape;                         // null: forward only
    private final int[] tokens;                      // [N]
    private final int[] positions;                   // [N]
    private final Attention attention;
    private final Map<String, Gemm.Operand> constants; // decoding's weights as the products read them (Gemm#constant)
    private final Rotary rotary;                     // the model's angle tables; null without rotary positions
    private final Gemm gemm;                         // the matrix products, FP32 or BF16
    private final Map<String, Tensor> paramTensors = new LinkedHashMap<>();

    /** Which keys a query sees. */
    private sealed interface Attention permits Masked, Cached {}

    /**
     * A training batch of B sequences of T tokens: mask [masks = 1 or B, T, T]. The array is held with its
     * native view: a view does not keep its array alive, and a collected array frees the memory the view reads.
     */
    private record Masked(INDArray biasArray, ByteBuffer bias, int masks, int batch, int seqLen, int[] widths)
            implements Attention {}

    /** n new tokens per sequence after {@code start} cached positions. */
    private record Cached(KvCache cache, int n, int start) implements Attention {}

    private KernelOps(GptSpec spec, Map<String, INDArray> params, Arena arena, Tape tape, int[] tokens,
                      int[] positions, Attention attention, Map<String, Gemm.Operand> constants, Rotary rotary,
                      Gemm gemm) {
        this.spec = spec;
        this.gemm = gemm;
        this.rotary = rotary;
        this.params = params;
        this.arena = arena;
        this.tape = tape;
        this.tokens = tokens;
        this.positions = positions;
        this.attention = attention;
        this.constants = constants;
        arena.reset();
    }

    /**
     * A pass over a training batch; with a tape it can be differentiated.
     *
     * @param bias additive attention mask [B or 1, 1, T, T], FLOAT
     */
    static KernelOps training(GptSpec spec, Map<String, INDArray> params, Arena arena, Tape tape, TokenBatch batch,
                              INDArray bias, Rotary rotary, Gemm gemm) {
        INDArray dense = bias.dataType() == DataType.FLOAT && !bias.isView() && bias.ordering() == 'c'
                ? bias : bias.castTo(DataType.FLOAT).dup('c');                                  // [B|1, 1, T, T]
        ByteBuffer biasData = FloatKernels.buffer(dense);
        int masks = (int) dense.size(0);
        int[] widths = FloatKernels.visibleWidths(biasData, masks, batch.seqLen());                 // [masks·T]
        return new KernelOps(spec, params, arena, tape, batch.tokens(), batch.positions(),
                new Masked(dense, biasData, masks, batch.batch(), batch.seqLen(), widths), Map.of(), rotary, gemm);
    }

    /**
     * A decoding step: n tokens per sequence of {@code cache}, appended at {@code start}, forward only.
     *
     * @param constants weights by name as the products read them fastest ({@link Gemm#constant}), or empty
     */
    static KernelOps decoding(GptSpec spec, Map<String, INDArray> params, Arena arena, KvCache cache, int n,
                              int start, int[] tokens, int[] positions, Map<String, Gemm.Operand> constants,
                              Rotary rotary, Gemm gemm) {
        return new KernelOps(spec, params, arena, null, tokens, positions, new Cached(cache, n, start), constants,
                rotary, gemm);
    }

    @Override
    public Tensor param(String name) {
        return paramTensors.computeIfAbsent(name, k -> {
            INDArray a = params.get(k);
            if (a == null) {
                throw new IllegalArgumentException("the model has no parameter " + k);
            }
            return new Tensor(a, arena.view(a), k, tape != null);
        });
    }

    private Tensor activation(long... shape) {
        INDArray a = arena.take(shape);
        return new Tensor(a, arena.view(a), null, tape != null);
    }

    private void record(String phase, Runnable backwardStep) {
        if (tape != null) {
            tape.record(phase, backwardStep);
        }
    }

    // ---- gradients ------------------------------------------------------------------------------

    /** Gives t a gradient buffer (fresh for a parameter, from the arena for an activation); contents undefined. */
    private void ensureGrad(Tensor t) {
        if (t.grad == null) {
            t.grad = t.name != null ? Nd4j.createUninitialized(DataType.FLOAT, t.value.shape()) : arena.take(t.value.shape());
            t.gradData = t.name != null ? FloatKernels.buffer(t.grad) : arena.view(t.grad);
        }
    }

    /** t's gradient, zero if nothing was written yet, for kernels that add into it. */
    private ByteBuffer accumulator(Tensor t) {
        ensureGrad(t);
        if (!t.gradWritten) {
            t.grad.assign(0);
            t.gradWritten = true;
        }
        return t.gradData;
    }

    /** Adds {@code g} (as many floats as t has) into t's gradient. */
    private void addGrad(Tensor t, float[] g) {
        ensureGrad(t);
        if (!t.gradWritten) {
            t.gradData.asFloatBuffer().put(g);
            t.gradWritten = true;
            return;
        }
        ByteBuffer d = t.gradData;
        for (int i = 0; i < g.length; i++) {
            d.putFloat(i * 4, d.getFloat(i * 4) + g[i]);
        }
    }

    /**
     * Adds {@code g} (of t's shape) into t's gradient. When t has none yet it gets a copy of g or,
     * with {@code mayTake} (g is read by no one else afterwards) and t an activation, g itself.
     */
    private void addGrad(Tensor t, boolean mayTake, INDArray g) {
        if (!t.gradWritten && t.name == null && mayTake) {
            t.grad = g;
            t.gradData = arena.view(g);
            t.gradWritten = true;
            return;
        }
        ByteBuffer src = arena.view(g);
        if (!t.gradWritten) {
            ensureGrad(t);
            FloatKernels.copy(src, 0, t.gradData, 0, t.length());
            t.gradWritten = true;
            return;
        }
        FloatKernels.add(t.gradData, src, t.gradData, t.length());
    }

    /**
     * Sets the gradient of a result of this pass (its length in floats), before {@link #backward}: the
     * loss's derivative with respect to that output.
     */
    void seed(Tensor out, float[] dOut) {
        if (tape == null) {
            throw new IllegalStateException("this pass was not recorded: it has no backward");
        }
        ensureGrad(out);
        out.gradData.asFloatBuffer().put(dOut);
        out.gradWritten = true;
    }

    /** Replays the tape from the seeded outputs: afterwards {@link #paramGrads} holds every parameter's gradient. */
    void backward() {
        if (tape == null) {
            throw new IllegalStateException("this pass was not recorded: it has no backward");
        }
        tape.backward();
    }

    /** Parameter name → gradient, for every parameter that received one. */
    Map<String, INDArray> paramGrads() {
        Map<String, INDArray> grads = new LinkedHashMap<>();
        paramTensors.forEach((name, t) -> {
            if (t.gradWritten) {
                grads.put(name, t.grad);
            }
        });
        return grads;
    }

    // ---- operations ------------------------------------------------------------------------------

    @Override
    public Tensor embed(String tokenTable, String positionTable) {
        Tensor wte = param(tokenTable);                                                            // [V, C]
        Tensor wpe = positionTable == null ? null : param(positionTable);                          // [T_max, C]
        int c = wte.cols();
        Tensor out = activation(tokens.length, c);                                                 // [N, C]
        if (wpe != null) {
            FloatKernels.gatherAdd(wte.data, tokens, wpe.data, positions, out.data, c);
        } else {
            for (int r = 0; r < tokens.length; r++) {
                FloatKernels.copy(wte.data, tokens[r] * c, out.data, r * c, c);
            }
        }
        record("bwd: embedding", () -> {
            if (!out.gradWritten) {
                return;
            }
            FloatKernels.scatterAddRows(out.gradData, tokens, accumulator(wte), c);
            if (wpe != null) {
                FloatKernels.scatterAddRows(out.gradData, positions, accumulator(wpe), c);
            }
        });
        return out;
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor b) {
        int n = x.rows();
        int in = x.cols();
        int outCols = (int) w.value.size(1);
        Tensor y = activation(n, outCols);                                                         // [N, out]
        Gemm.Operand constant = w.name == null ? null : constants.get(w.name);
        if (constant != null) {
            gemm.gemm(x.value, false, constant, y.value, 1f, 0f);
        } else {
            gemm.gemm(x.value, false, w.value, false, y.value, 1f, 0f);
        }
        if (b != null) {
            FloatKernels.addRow(y.data, b.data, n, outCols);
        }
        record("bwd: linear", () -> {
            if (!y.gradWritten) {
                return;
            }
            if (x.needsGrad) {                                                                     // dx = dy·Wᵀ [N, in]
                ensureGrad(x);
                gemm.gemm(y.grad, false, w.value, true, x.grad, 1f, x.gradWritten ? 1f : 0f);
                x.gradWritten = true;
            }
            if (w.needsGrad) {                                                                     // dW = xᵀ·dy [in, out]
                ensureGrad(w);
                gemm.gemm(x.value, true, y.grad, false, w.grad, 1f, w.gradWritten ? 1f : 0f);
                w.gradWritten = true;
            }
            if (b != null && b.needsGrad) {                                                        // db = Σ_rows dy [out]
                float[] db = new float[outCols];
                FloatKernels.columnSum(y.gradData, db, n, outCols);
                addGrad(b, db);
            }
        });
        return y;
    }

    @Override
    public List<Tensor> split(Tensor x, int... widths) {
        int n = x.rows();
        int total = x.cols();
        int sum = 0;
        for (int w : widths) {
            sum += w;
        }
        if (sum != total) {
            throw new IllegalArgumentException("parts of " + sum + " columns for a tensor of " + total);
        }
        List<Tensor> parts = new ArrayList<>(widths.length);
        for (int i = 0, offset = 0; i < widths.length; offset += widths[i++]) {
            Tensor part = activation(n, widths[i]);                                                // [N, w_i]
            FloatKernels.copyColumns(x.data, total, offset, part.data, widths[i], 0, n, widths[i]);
            parts.add(part);
        }
        record("bwd: split", () -> {
            if (!x.needsGrad || parts.stream().noneMatch(p -> p.gradWritten)) {
                return;
            }
            // The parts' gradients side by side (zero where a part got none): written into x's gradient when
            // it has none yet, else into a buffer added to it.
            INDArray dx = x.gradWritten ? arena.take(n, total) : null;                             // [N, Σw]
            if (dx == null) {
                ensureGrad(x);
            }
            ByteBuffer target = dx == null ? x.gradData : arena.view(dx);
            for (int i = 0, offset = 0; i < widths.length; offset += widths[i++]) {
                Tensor part = parts.get(i);
                if (part.gradWritten) {
                    FloatKernels.copyColumns(part.gradData, widths[i], 0, target, total, offset, n, widths[i]);
                } else {
                    FloatKernels.fillColumns(target, total, offset, n, widths[i], 0f);
                }
            }
            if (dx == null) {
                x.gradWritten = true;
            } else {
                addGrad(x, true, dx);
            }
        });
        return parts;
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gain, Tensor bias, double eps) {
        int n = x.rows();
        int c = x.cols();
        Tensor out = activation(n, c);                                                             // [N, C]
        float[] mean = arena.floats(n);
        float[] rstd = arena.floats(n);
        FloatKernels.layerNorm(x.data, gain.data, bias.data, out.data, mean, rstd, n, c, (float) eps);
        record("bwd: layer norm", () -> {
            if (!out.gradWritten) {
                return;
            }
            float[] dg = new float[c];
            float[] db = new float[c];
            FloatKernels.layerNormBackward(x.data, mean, rstd, gain.data, out.gradData, accumulator(x), dg, db, n, c);
            if (gain.needsGrad) {
                addGrad(gain, dg);
            }
            if (bias.needsGrad) {
                addGrad(bias, db);
            }
        });
        return out;
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor gain) {
        int n = x.rows();
        int c = x.cols();
        Tensor out = activation(n, c);                                                             // [N, C]
        float[] rstd = arena.floats(n);
        FloatKernels.rmsNorm(x.data, gain.data, out.data, rstd, n, c, (float) spec.rmsNormEpsilon());
        record("bwd: rms norm", () -> {
            if (!out.gradWritten) {
                return;
            }
            float[] dg = new float[c];
            FloatKernels.rmsNormBackward(x.data, rstd, gain.data, out.gradData, accumulator(x), dg, n, c);
            if (gain.needsGrad) {
                addGrad(gain, dg);
            }
        });
        return out;
    }

    @Override
    public Tensor rotary(Tensor x, int heads) {
        if (rotary == null) {
            throw new IllegalStateException("this model has no rotary positions (model.position: learned)");
        }
        if (x.cols() != heads * spec.headDim()) {
            throw new IllegalArgumentException(x.cols() + " columns are not " + heads + " heads of " + spec.headDim());
        }
        Tensor out = activation(x.value.shape());                                                  // [N, heads·D]
        rotary.apply(x.data, out.data, positions, heads, false);
        record("bwd: rotary", () -> {
            if (!out.gradWritten || !x.needsGrad) {
                return;
            }
            INDArray dx = arena.take(x.value.shape());                                             // [N, heads·D]
            rotary.apply(out.gradData, arena.view(dx), positions, heads, true);           // the rotation's transpose
            addGrad(x, true, dx);
        });
        return out;
    }

    @Override
    public Tensor gelu(Tensor x) {
        return elementwise(x, FloatKernels::gelu, FloatKernels::geluBackward);
    }

    @Override
    public Tensor geluTanh(Tensor x) {
        return elementwise(x, FloatKernels::geluTanh, FloatKernels::geluTanhBackward);
    }

    /** A kernel over n elements: {@code (in, out, n)}. */
    private interface Pointwise {
        void apply(ByteBuffer x, ByteBuffer out, int n);
    }

    /** Its backward: {@code (x, dy, dx, n)}. */
    private interface PointwiseBackward {
        void apply(ByteBuffer x, ByteBuffer dy, ByteBuffer dx, int n);
    }

    /** An element-wise function of x with its backward (the two GELUs). */
    private Tensor elementwise(Tensor x, Pointwise forward, PointwiseBackward backward) {
        Tensor out = activation(x.value.shape());
        forward.apply(x.data, out.data, x.length());
        record("bwd: gelu", () -> {
            if (!out.gradWritten || !x.needsGrad) {
                return;
            }
            if (x.gradWritten) {
                INDArray dx = arena.take(x.value.shape());
                backward.apply(x.data, out.gradData, arena.view(dx), x.length());
                addGrad(x, true, dx);
            } else {
                ensureGrad(x);
                backward.apply(x.data, out.gradData, x.gradData, x.length());
                x.gradWritten = true;
            }
        });
        return out;
    }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) {
        int count = gate.length();
        if (up.length() != count) {
            throw new IllegalArgumentException("swiglu of " + count + " gates and " + up.length() + " values");
        }
        Tensor out = activation(gate.value.shape());                                               // [N, I]
        FloatKernels.swiglu(gate.data, up.data, out.data, count);
        record("bwd: swiglu", () -> {
            if (!out.gradWritten || !(gate.needsGrad || up.needsGrad)) {
                return;
            }
            INDArray dGate = arena.take(gate.value.shape());                                       // [N, I]
            INDArray dUp = arena.take(up.value.shape());                                           // [N, I]
            FloatKernels.swigluBackward(gate.data, up.data, out.gradData, arena.view(dGate), arena.view(dUp), count);
            if (gate.needsGrad) {
                addGrad(gate, true, dGate);
            }
            if (up.needsGrad) {
                addGrad(up, true, dUp);
            }
        });
        return out;
    }

    @Override
    public Tensor add(Tensor x, Tensor y) {
        Tensor out = activation(x.value.shape());
        FloatKernels.add(x.data, y.data, out.data, x.length());
        record("bwd: add", () -> {
            if (!out.gradWritten) {
                return;
            }
            // The output's gradient is final and read by no one after this step, so the first input
            // may take the buffer itself; the second gets its own copy.
            if (x.needsGrad) {
                addGrad(x, true, out.grad);
            }
            if (y.needsGrad) {
                addGrad(y, false, out.grad);
            }
        });
        return out;
    }

    @Override
    public Tensor causalAttention(int layer, Tensor q, Tensor k, Tensor v) {
        int d = spec.headDim();
        if (q.cols() != spec.nHead() * d || k.cols() != spec.kvWidth() || v.cols() != spec.kvWidth()) {
            throw new IllegalArgumentException("attention of q, k, v with " + q.cols() + ", " + k.cols() + ", "
                    + v.cols() + " columns; the spec has " + spec.nHead() + " query and " + spec.nKvHead()
                    + " key/value heads of " + d);
        }
        if (attention instanceof Masked m) {
            return maskedAttention(m, q, k, v);
        }
        return cachedAttention((Cached) attention, layer, q, k, v);
    }

    /**
     * Attention over a training batch. The query heads of one key/value head are consecutive (h = kv·g + j, g =
     * H / Hkv), so q as [B·H, T, D] is, in the same memory, [B·Hkv, g·T, D]: one GEMM per key/value head gives the
     * scores of all its query heads, [B·Hkv, g·T, T], which is [B·H, T, T] again for the masked softmax. In the
     * backward, d k = d scoresᵀ·q and d v = pᵀ·d y then sum over the group by themselves. With g = 1 these are
     * the shapes of plain multi-head attention.
     */
    private Tensor maskedAttention(Masked m, Tensor qIn, Tensor kIn, Tensor vIn) {
        int batch = m.batch();
        int seqLen = m.seqLen();
        int n = batch * seqLen;
        int heads = spec.nHead();
        int kvHeads = spec.nKvHead();
        int group = heads / kvHeads;
        int d = spec.headDim();
        int c = heads * d;
        int kvc = kvHeads * d;
        int groups = batch * heads;
        int kvGroups = batch * kvHeads;
        float scale = (float) (1.0 / Math.sqrt(d));
        INDArray q = arena.take(kvGroups, (long) group * seqLen, d);                               // [B*Hkv, g*T, D]
        INDArray k = arena.take(kvGroups, seqLen, d);                                              // [B*Hkv, T, D]
        INDArray v = arena.take(kvGroups, seqLen, d);                                              // [B*Hkv, T, D]
        INDArray p = arena.take(kvGroups, (long) group * seqLen, seqLen);                          // [B*Hkv, g*T, T]
        INDArray yh = arena.take(kvGroups, (long) group * seqLen, d);                              // [B*Hkv, g*T, D]
        ByteBuffer pb = arena.view(p);
        FloatKernels.toHeads(qIn.data, c, 0, arena.view(q), batch, seqLen, heads, d);
        FloatKernels.toHeads(kIn.data, kvc, 0, arena.view(k), batch, seqLen, kvHeads, d);
        FloatKernels.toHeads(vIn.data, kvc, 0, arena.view(v), batch, seqLen, kvHeads, d);
        gemm.batched(q, false, k, true, p, 1f, 0f);                                               // q·kᵀ
        FloatKernels.attentionSoftmax(pb, scale, m.bias(), m.masks(), heads, groups, seqLen, m.widths()); // probabilities
        gemm.batched(p, false, v, false, yh, 1f, 0f);                                             // p·v
        Tensor y = activation(n, c);                                                               // [N, C]
        FloatKernels.fromHeads(arena.view(yh), y.data, c, 0, batch, seqLen, heads, d);
        record("bwd: attention", () -> {
            if (!y.gradWritten || !(qIn.needsGrad || kIn.needsGrad || vIn.needsGrad)) {
                return;
            }
            INDArray dyh = arena.take(kvGroups, (long) group * seqLen, d);                         // [B*Hkv, g*T, D]
            INDArray dp = arena.take(kvGroups, (long) group * seqLen, seqLen);                     // [B*Hkv, g*T, T]
            INDArray dq = arena.take(kvGroups, (long) group * seqLen, d);                          // [B*Hkv, g*T, D]
            INDArray dk = arena.take(kvGroups, seqLen, d);                                         // [B*Hkv, T, D]
            INDArray dv = arena.take(kvGroups, seqLen, d);                                         // [B*Hkv, T, D]
            FloatKernels.toHeads(y.gradData, c, 0, arena.view(dyh), batch, seqLen, heads, d);
            gemm.batched(dyh, false, v, true, dp, 1f, 0f);                                        // d p
            gemm.batched(p, true, dyh, false, dv, 1f, 0f);                                        // d v
            FloatKernels.softmaxBackward(pb, arena.view(dp), scale, groups, seqLen, m.masks(), heads,
                    m.widths());                                                                   // d (q·kᵀ)
            gemm.batched(dp, false, k, false, dq, 1f, 0f);                                        // d q
            gemm.batched(dp, true, q, false, dk, 1f, 0f);                                         // d k
            mergeHeadsGrad(qIn, dq, batch, seqLen, heads, d);
            mergeHeadsGrad(kIn, dk, batch, seqLen, kvHeads, d);
            mergeHeadsGrad(vIn, dv, batch, seqLen, kvHeads, d);
        });
        return y;
    }

    /** Adds the per-head gradient [B, heads, T, D] of t [B·T, heads·D] to t's gradient, heads merged into rows. */
    private void mergeHeadsGrad(Tensor t, INDArray perHead, int batch, int seqLen, int heads, int d) {
        if (!t.needsGrad) {
            return;
        }
        if (!t.gradWritten) {
            ensureGrad(t);
            FloatKernels.fromHeads(arena.view(perHead), t.gradData, heads * d, 0, batch, seqLen, heads, d);
            t.gradWritten = true;
            return;
        }
        INDArray merged = arena.take(t.value.shape());                                             // [N, heads·D]
        FloatKernels.fromHeads(arena.view(perHead), arena.view(merged), heads * d, 0, batch, seqLen, heads, d);
        addGrad(t, true, merged);
    }

    @Override
    public Tensor logits(Tensor x, Tensor table, double scale) {
        int n = x.rows();
        int v = table.rows();
        float alpha = (float) scale;
        Tensor z = activation(n, v);                                                               // [N, V]
        Gemm.Operand constant = table.name == null ? null : constants.get(table.name);
        if (constant != null) {
            gemm.gemm(x.value, false, constant, z.value, alpha, 0f);
        } else {
            gemm.gemm(x.value, false, table.value, true, z.value, alpha, 0f);
        }
        record("bwd: logits", () -> {
            if (!z.gradWritten) {
                return;
            }
            if (x.needsGrad) {                                                                     // dx = s·dz·table [N, C]
                ensureGrad(x);
                gemm.gemm(z.grad, false, table.value, false, x.grad, alpha, x.gradWritten ? 1f : 0f);
                x.gradWritten = true;
            }
            if (table.needsGrad) {                                                                 // d table = s·dzᵀ·x [V, C]
                ensureGrad(table);
                gemm.gemm(z.grad, true, x.value, false, table.grad, alpha, table.gradWritten ? 1f : 0f);
                table.gradWritten = true;
            }
        });
        return z;
    }

    @Override
    public Tensor tokenLogProbs(Tensor logits, int[] targets) {
        int n = logits.rows();
        int v = logits.cols();
        if (targets.length != n) {
            throw new IllegalArgumentException(targets.length + " targets for " + n + " rows of logits");
        }
        Tensor out = activation(n);                                                                // [N]
        float[] lse = arena.floats(n);
        FloatKernels.logSoftmaxAt(logits.data, targets, out.data, lse, n, v);
        record("bwd: log-probabilities", () -> {
            if (out.gradWritten && logits.needsGrad) {
                FloatKernels.logSoftmaxAtBackward(logits.data, lse, targets, out.gradData, accumulator(logits), n, v);
            }
        });
        return out;
    }

    @Override
    public Tensor entropy(Tensor logits) {
        int n = logits.rows();
        int v = logits.cols();
        Tensor out = activation(n);                                                                // [N]
        float[] lse = arena.floats(n);
        FloatKernels.entropy(logits.data, out.data, lse, n, v);
        record("bwd: entropy", () -> {
            if (out.gradWritten && logits.needsGrad) {
                FloatKernels.entropyBackward(logits.data, lse, out.data, out.gradData, accumulator(logits), n, v);
            }
        });
        return out;
    }

    private Tensor cachedAttention(Cached a, int layer, Tensor q, Tensor k, Tensor v) {
        if (tape != null) {
            throw new IllegalStateException("attention over a key/value cache is forward only");
        }
        KvCache cache = a.cache();
        int heads = spec.nHead();
        int d = spec.headDim();
        Tensor y = activation(q.rows(), (long) heads * d);                                        // [B*n, C]
        FloatKernels.cachedAttention(q.data, k.data, v.data, cache.keyData(layer), cache.valueData(layer),
                cache.keyValid, y.data, arena.view(arena.take(cache.keyStride)), cache.batch, heads, spec.nKvHead(),
                a.n(), a.start(), cache.capacity, cache.keyStride, d, (float) (1.0 / Math.sqrt(d)), cache.bf16());
        return y;
    }
}
