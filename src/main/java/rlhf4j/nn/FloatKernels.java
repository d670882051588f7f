package rlhf4j.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The row-wise and element-wise FLOAT kernels of the kernel engine's operations ({@link
 * rlhf4j.model.KernelOps}): LayerNorm forward and backward, GELU forward and backward, the
 * attention softmax (scale + additive mask + softmax) and its backward, column sums for bias
 * gradients. They run on ND4J's native buffers through the JDK's Vector API (SIMD), one pass per
 * kernel, no temporaries.
 *
 * <p>Bitwise reproducible across JVMs and across the JIT's tiers: a resumed run must repeat an
 * uninterrupted one exactly, and the resumed JVM runs the same code first interpreted, then
 * compiled. The Vector API leaves two things free to differ between its Java fallback and its
 * compiled intrinsics: the order of {@code reduceLanes(ADD)} and the rounding of {@code
 * lanewise(EXP)} (the compiled one is a vendor math library). So neither is used: lanes are summed
 * in lane order ({@link #sum}), and {@code exp} is computed here ({@link #expAffine}) from IEEE-exact
 * operations only (add, mul, fma, conversions), which every tier rounds alike. Its scalar twin
 * {@link #exp(float)} serves the loop tails, so a row's values do not depend on where the
 * vector loop ends.
 *
 * <p>Why not ND4J's own ops: measured on the 3.7M shape ([2048, 256] rows, one thread), the native
 * {@code layer_norm} took 4.1 ms (PyTorch 0.3 ms), {@code gelu} 5.8 ms and its derivative 12.7 ms
 * on [2048, 1024] (PyTorch's GELU 1.3 ms), a column sum of [2048, 768] 5.1 ms, softmax over
 * [64, 128, 128] 2.7 ms (PyTorch 1.1 ms). The kernels here do each in 0.2–1 ms.
 *
 * <p>Every array passed in must be a FLOAT, C-order array whose buffer holds exactly its own
 * elements (not a view): see {@link #buffer}. Matrices are row-major {@code [rows, cols]}.
 * Requires the {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector});
 * {@link VectorSupport#available()} says whether it is there.
 */
public final class FloatKernels {
    /** The system property that pins the kernels' vector width in bits (default: the CPU's preferred width). */
    public static final String VECTOR_BITS = "rlhf4j.vector_bits";
    private static final VectorSpecies<Float> S = species(System.getProperty(VECTOR_BITS));

    /**
     * The species the kernels compute with: the CPU's preferred one, or the width in bits that {@code
     * -Drlhf4j.vector_bits} pins (a Spark run pins its executors to the driver's: the sums' bits depend on it; a CPU
     * without that width runs it in the Vector API's slower portable code, with the same results).
     */
    private static VectorSpecies<Float> species(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("-D" + VECTOR_BITS + "=" + bits + ": 64, 128, 256 or 512");
        };
    }

    /** Floats per vector on this CPU: the kernels' sums run in lanes of this width, so their bits depend on it. */
    public static int lanes() {
        return S.length();
    }
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** GELU in its sigmoid form: x·σ(1.702x), as libnd4j's {@code gelu} op computes it. */
    private static final float GELU_K = 1.702f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private FloatKernels() {}

    /**
     * The native buffer of a dense FLOAT array, as a native-order byte buffer that starts at its first
     * element (it may run on past the last: an array over the start of a larger buffer qualifies).
     */
    public static ByteBuffer buffer(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("a dense C-order FLOAT array is needed, got " + a.shapeInfoToString());
        }
        return a.data().asNio().order(NATIVE);
    }

    /**
     * Whether the kernels and {@link Gemm} can read {@code a} as row-major floats from its buffer's
     * start: FLOAT, C order, no offset, C-contiguous strides, and a buffer at least as long as the array.
     */
    public static boolean isDense(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0 || a.data().length() < a.length()) {
            return false;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    private static FloatVector load(ByteBuffer b, int index) {
        return FloatVector.fromByteBuffer(S, b, index * 4, NATIVE);
    }

    private static void store(FloatVector v, ByteBuffer b, int index) {
        v.intoByteBuffer(b, index * 4, NATIVE);
    }

    /** {@code Σ_j a[ao + j]·b[bo + j]} over n elements: lane accumulators by fma, summed in lane order, then the tail. */
    static float dot(ByteBuffer a, int ao, ByteBuffer b, int bo, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < bound; j += L) {
            acc = load(a, ao + j).fma(load(b, bo + j), acc);
        }
        float dot = sum(acc);
        for (; j < n; j++) {
            dot += a.getFloat((ao + j) * 4) * b.getFloat((bo + j) * 4);
        }
        return dot;
    }

    /** The lanes of v summed in lane order (a fixed order, unlike {@code reduceLanes(ADD)}). */
    static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }

    // exp(x) = 2^n·e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 in two parts, the first
    // with few bits so n·LN2_HI is exact), e^r by a degree-7 polynomial on |r| ≤ ln2/2 (Cephes's
    // expf coefficients, ≤ 2 ulp). n is rounded by adding 1.5·2^23, which leaves n in the low
    // mantissa bits. Inputs above EXP_MAX give +inf, below EXP_MIN 0: results stay normal floats
    // (e^−87 = 1.6e−38), since producing a subnormal costs the CPU a microcode assist (~100 cycles)
    // and a causal attention row is half −inf.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;                 // 1.5·2^23
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float EXP_MAX = 88.3762626647949f;         // n ≤ 127
    private static final float EXP_MIN = -87f;                      // y·2^n normal (n ≥ −126, y ≥ 1.4 at n = −126)
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /**
     * {@code dst[i] = exp(a·src[i] + b)} for i in [0, n) (element offsets; dst may be src), bitwise equal
     * to {@link #exp(float)} of {@code fma(src[i], a, b)} on every element, in every JIT tier. Returns
     * Σ dst, lanes summed in lane order. The polynomial is written inside this loop rather than in a
     * method taking a vector: C2 did not always inline such a method into the large kernels (its size,
     * their node count), and a vector that crosses a call is boxed on the heap: 100× slower.
     */
    static float expAffine(ByteBuffer src, int srcOff, ByteBuffer dst, int dstOff, int n, float a, float b) {
        int bound = S.loopBound(n);
        FloatVector aV = FloatVector.broadcast(S, a);
        FloatVector bV = FloatVector.broadcast(S, b);
        FloatVector minV = FloatVector.broadcast(S, EXP_MIN);
        FloatVector maxV = FloatVector.broadcast(S, EXP_MAX);
        FloatVector ln2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector p2 = FloatVector.broadcast(S, P2);
        FloatVector p3 = FloatVector.broadcast(S, P3);
        FloatVector p4 = FloatVector.broadcast(S, P4);
        FloatVector p5 = FloatVector.broadcast(S, P5);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector x = load(src, srcOff + i).fma(aV, bV);
            FloatVector xc = x.max(minV).min(maxV);
            FloatVector t = xc.fma(LOG2E, ROUNDER);
            FloatVector nf = t.sub(ROUNDER);
            FloatVector r = nf.fma(ln2Hi, xc).add(nf.mul(-LN2_LO));
            FloatVector p = r.fma(P0, P1).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            FloatVector scale = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = y.mul(scale)
                    .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX))
                    .blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
            store(e, dst, dstOff + i);
            acc = acc.add(e);
        }
        float sum = sum(acc);
        for (; i < n; i++) {
            float e = exp(Math.fma(src.getFloat((srcOff + i) * 4), a, b));
            dst.putFloat((dstOff + i) * 4, e);
            sum += e;
        }
        return sum;
    }

    /** e^x, the scalar twin of {@link #expAffine}'s loop (the same operations in the same order). */
    static float exp(float x) {
        if (x > EXP_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        if (x < EXP_MIN) {
            return 0f;
        }
        if (Float.isNaN(x)) {
            return x;
        }
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x) + n * -LN2_LO;
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUNDER_BITS - 127)) << 23);
    }

    /**
     * LayerNorm over each row of x [rows, c] with gain and bias [c]: {@code out = (x − mean)·rstd·g + b},
     * rstd = 1/sqrt(biased variance + eps) (eps 0 is libnd4j's {@code layer_norm}). Writes each row's mean and
     * rstd into {@code mean} and {@code rstd} [rows] for the backward.
     */
    public static void layerNorm(ByteBuffer x, ByteBuffer g, ByteBuffer b, ByteBuffer out, float[] mean,
                                 float[] rstd, int rows, int c, float eps) {
        int bound = S.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int o = r * c;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                acc = acc.add(load(x, o + j));
            }
            float sum = sum(acc);
            for (; j < c; j++) {
                sum += x.getFloat((o + j) * 4);
            }
            float mu = sum / c;
            FloatVector muV = FloatVector.broadcast(S, mu);
            acc = FloatVector.zero(S);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector d = load(x, o + j).sub(muV);
                acc = d.fma(d, acc);
            }
            float sq = sum(acc);
            for (; j < c; j++) {
                float d = x.getFloat((o + j) * 4) - mu;
                sq += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / c + eps));
            mean[r] = mu;
            rstd[r] = rs;
            FloatVector rsV = FloatVector.broadcast(S, rs);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector xhat = load(x, o + j).sub(muV).mul(rsV);
                store(xhat.fma(load(g, j), load(b, j)), out, o + j);
            }
            for (; j < c; j++) {
                float xhat = (x.getFloat((o + j) * 4) - mu) * rs;
                out.putFloat((o + j) * 4, xhat * g.getFloat(j * 4) + b.getFloat(j * 4));
            }
        }
    }

    /**
     * LayerNorm backward. With xhat = (x − mean)·rstd and dxhat = dy·g:
     * {@code dx += rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat))} (added into dx),
     * {@code dg += Σ_rows dy·xhat}, {@code db += Σ_rows dy} (added into dg, db [c]).
     */
    public static void layerNormBackward(ByteBuffer x, float[] mean, float[] rstd, ByteBuffer g, ByteBuffer dy,
                                         ByteBuffer dx, float[] dg, float[] db, int rows, int c) {
        int bound = S.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int o = r * c;
            FloatVector muV = FloatVector.broadcast(S, mean[r]);
            FloatVector rsV = FloatVector.broadcast(S, rstd[r]);
            FloatVector acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector xhat = load(x, o + j).sub(muV).mul(rsV);
                FloatVector d = load(dy, o + j);
                FloatVector dxhat = d.mul(load(g, j));
                acc1 = acc1.add(dxhat);
                acc2 = dxhat.fma(xhat, acc2);
                FloatVector.fromArray(S, dg, j).add(d.mul(xhat)).intoArray(dg, j);
                FloatVector.fromArray(S, db, j).add(d).intoArray(db, j);
            }
            float s1 = sum(acc1);
            float s2 = sum(acc2);
            for (; j < c; j++) {
                float xhat = (x.getFloat((o + j) * 4) - mean[r]) * rstd[r];
                float d = dy.getFloat((o + j) * 4);
                float dxhat = d * g.getFloat(j * 4);
                s1 += dxhat;
                s2 += dxhat * xhat;
                dg[j] += d * xhat;
                db[j] += d;
            }
            float m1 = s1 / c;
            float m2 = s2 / c;
            FloatVector m1V = FloatVector.broadcast(S, m1);
            FloatVector m2V = FloatVector.broadcast(S, m2);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector xhat = load(x, o + j).sub(muV).mul(rsV);
                FloatVector dxhat = load(dy, o + j).mul(load(g, j));
                FloatVector v = dxhat.sub(m1V).sub(xhat.mul(m2V)).mul(rsV);
                store(load(dx, o + j).add(v), dx, o + j);
            }
            for (; j < c; j++) {
                float xhat = (x.getFloat((o + j) * 4) - mean[r]) * rstd[r];
                float dxhat = dy.getFloat((o + j) * 4) * g.getFloat(j * 4);
                float v = (dxhat - m1 - xhat * m2) * rstd[r];
                dx.putFloat((o + j) * 4, dx.getFloat((o + j) * 4) + v);
            }
        }
    }

    /**
     * RMSNorm over each row of x [rows, c] with gain [c]: {@code out = x·rstd·g}, rstd =
     * 1/sqrt(mean(x²) + eps). Writes each row's rstd into {@code rstd} [rows] for the backward.
     */
    public static void rmsNorm(ByteBuffer x, ByteBuffer g, ByteBuffer out, float[] rstd, int rows, int c, float eps) {
        int bound = S.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int o = r * c;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector v = load(x, o + j);
                acc = v.fma(v, acc);
            }
            float sq = sum(acc);
            for (; j < c; j++) {
                float v = x.getFloat((o + j) * 4);
                sq += v * v;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / c + eps));
            rstd[r] = rs;
            FloatVector rsV = FloatVector.broadcast(S, rs);
            j = 0;
            for (; j < bound; j += L) {
                store(load(x, o + j).mul(rsV).mul(load(g, j)), out, o + j);
            }
            for (; j < c; j++) {
                out.putFloat((o + j) * 4, x.getFloat((o + j) * 4) * rs * g.getFloat(j * 4));
            }
        }
    }

    /**
     * RMSNorm backward. With xhat = x·rstd and dxhat = dy·g:
     * {@code dx += rstd·(dxhat − xhat·mean(dxhat·xhat))} (added into dx), {@code dg += Σ_rows dy·xhat}.
     */
    public static void rmsNormBackward(ByteBuffer x, float[] rstd, ByteBuffer g, ByteBuffer dy, ByteBuffer dx,
                                       float[] dg, int rows, int c) {
        int bound = S.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int o = r * c;
            FloatVector rsV = FloatVector.broadcast(S, rstd[r]);
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector xhat = load(x, o + j).mul(rsV);
                FloatVector d = load(dy, o + j);
                acc = d.mul(load(g, j)).fma(xhat, acc);
                FloatVector.fromArray(S, dg, j).add(d.mul(xhat)).intoArray(dg, j);
            }
            float s = sum(acc);
            for (; j < c; j++) {
                float xhat = x.getFloat((o + j) * 4) * rstd[r];
                float d = dy.getFloat((o + j) * 4);
                s += d * g.getFloat(j * 4) * xhat;
                dg[j] += d * xhat;
            }
            float m = s / c;
            FloatVector mV = FloatVector.broadcast(S, m);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector xhat = load(x, o + j).mul(rsV);
                FloatVector dxhat = load(dy, o + j).mul(load(g, j));
                store(load(dx, o + j).add(dxhat.sub(xhat.mul(mV)).mul(rsV)), dx, o + j);
            }
            for (; j < c; j++) {
                float xhat = x.getFloat((o + j) * 4) * rstd[r];
                float dxhat = dy.getFloat((o + j) * 4) * g.getFloat(j * 4);
                dx.putFloat((o + j) * 4, dx.getFloat((o + j) * 4) + (dxhat - xhat * m) * rstd[r]);
            }
        }
    }

    /** Elements per block of the GELU passes: e^(−1.702x) of a block goes to scratch, then is used. */
    private static final int GELU_BLOCK = 1024;

    private static ByteBuffer scratch(int floats) {
        return ByteBuffer.allocate(floats * 4).order(NATIVE);
    }

    /** {@code out = x·σ(1.702x) = x / (1 + e^(−1.702x))} over n elements (out may be x). */
    public static void gelu(ByteBuffer x, ByteBuffer out, int n) {
        sigmoidGate(x, out, n, false);
    }

    /** GPT-2's {@code gelu_new}, {@code out = x·σ(1.5958·(x + 0.044715x³))} over n elements (out may be x). */
    public static void geluTanh(ByteBuffer x, ByteBuffer out, int n) {
        sigmoidGate(x, out, n, true);
    }

    /**
     * GELU backward: {@code dx = dy·(σ(1.702x) + 1.702·x·σ(1.702x)·(1 − σ(1.702x)))} over n
     * elements, x the GELU's input (dx may be dy).
     */
    public static void geluBackward(ByteBuffer x, ByteBuffer dy, ByteBuffer dx, int n) {
        sigmoidGateBackward(x, dy, dx, n, false);
    }

    /**
     * {@code gelu_new} backward: with s = σ(k·u), u = x + 0.044715x³, {@code dx = dy·(s + x·s·(1 − s)·k·(1 +
     * 3·0.044715·x²))} over n elements (dx may be dy).
     */
    public static void geluTanhBackward(ByteBuffer x, ByteBuffer dy, ByteBuffer dx, int n) {
        sigmoidGateBackward(x, dy, dx, n, true);
    }

    /** {@code √(2/π)·2}: GPT-2's tanh GELU as a sigmoid, {@code ½x(1 + tanh u) = x·σ(2u)}. */
    private static final float GELU_TANH_K = 1.5957691216057308f;
    private static final float GELU_TANH_CUBIC = 0.044715f;

    /**
     * {@code e = e^(−a(x))} for the n elements of x from {@code from}, into {@code e} from 0: a(x) = 1.702x, or
     * with {@code tanhForm} 1.5958·(x + 0.044715x³).
     */
    private static void gateExp(ByteBuffer x, int from, ByteBuffer e, int n, boolean tanhForm) {
        if (!tanhForm) {
            expAffine(x, from, e, 0, n, -GELU_K, 0f);                                       // e^(−1.702x)
            return;
        }
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector v = load(x, from + j);
            store(v.mul(v).mul(v).mul(GELU_TANH_CUBIC).add(v), e, j);                       // u = x + 0.044715x³
        }
        for (; j < n; j++) {
            float v = x.getFloat((from + j) * 4);
            e.putFloat(j * 4, v * v * v * GELU_TANH_CUBIC + v);
        }
        expAffine(e, 0, e, 0, n, -GELU_TANH_K, 0f);                                         // e^(−k·u)
    }

    /** {@code out = x·σ(a(x)) = x / (1 + e^(−a(x)))}, block by block through scratch. */
    private static void sigmoidGate(ByteBuffer x, ByteBuffer out, int n, boolean tanhForm) {
        ByteBuffer e = scratch(GELU_BLOCK);
        for (int from = 0; from < n; from += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, n - from);
            gateExp(x, from, e, len, tanhForm);
            int bound = S.loopBound(len);
            int j = 0;
            for (; j < bound; j += L) {
                store(load(x, from + j).div(load(e, j).add(1f)), out, from + j);
            }
            for (; j < len; j++) {
                out.putFloat((from + j) * 4, x.getFloat((from + j) * 4) / (e.getFloat(j * 4) + 1f));
            }
        }
    }

    /** {@code dx = dy·(s + x·s·(1 − s)·a'(x))}, s = σ(a(x)), a'(x) = 1.702 or 1.5958·(1 + 3·0.044715x²). */
    private static void sigmoidGateBackward(ByteBuffer x, ByteBuffer dy, ByteBuffer dx, int n, boolean tanhForm) {
        ByteBuffer e = scratch(GELU_BLOCK);
        for (int from = 0; from < n; from += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, n - from);
            gateExp(x, from, e, len, tanhForm);
            int bound = S.loopBound(len);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector v = load(x, from + j);
                FloatVector sg = ONE.div(load(e, j).add(1f));                               // σ(a(x))
                FloatVector grad = tanhForm
                        ? sg.add(v.mul(sg).mul(ONE.sub(sg)).mul(v.mul(v).mul(3 * GELU_TANH_CUBIC).add(1f).mul(GELU_TANH_K)))
                        : sg.add(v.mul(GELU_K).mul(sg).mul(ONE.sub(sg)));
                store(load(dy, from + j).mul(grad), dx, from + j);
            }
            for (; j < len; j++) {
                float v = x.getFloat((from + j) * 4);
                float sg = 1f / (e.getFloat(j * 4) + 1f);
                float grad = tanhForm ? sg + v * sg * (1f - sg) * ((v * v * (3 * GELU_TANH_CUBIC) + 1f) * GELU_TANH_K)
                        : sg + GELU_K * v * sg * (1f - sg);
                dx.putFloat((from + j) * 4, dy.getFloat((from + j) * 4) * grad);
            }
        }
    }

    /**
     * SwiGLU's activation {@code out = silu(gate)·up = gate·up / (1 + e^(−gate))} over n elements, block by block
     * through scratch for the exponentials (out may be gate or up).
     */
    public static void swiglu(ByteBuffer gate, ByteBuffer up, ByteBuffer out, int n) {
        ByteBuffer e = scratch(GELU_BLOCK);
        for (int from = 0; from < n; from += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, n - from);
            expAffine(gate, from, e, 0, len, -1f, 0f);                                        // e^(−gate)
            int bound = S.loopBound(len);
            int j = 0;
            for (; j < bound; j += L) {
                store(load(gate, from + j).mul(load(up, from + j)).div(load(e, j).add(1f)), out, from + j);
            }
            for (; j < len; j++) {
                float g = gate.getFloat((from + j) * 4);
                out.putFloat((from + j) * 4, g * up.getFloat((from + j) * 4) / (e.getFloat(j * 4) + 1f));
            }
        }
    }

    /**
     * SwiGLU's backward: with s = σ(gate), {@code dGate = dy·up·s·(1 + gate·(1 − s))} and {@code dUp = dy·gate·s}
     * over n elements (dGate and dUp distinct from the inputs).
     */
    public static void swigluBackward(ByteBuffer gate, ByteBuffer up, ByteBuffer dy, ByteBuffer dGate, ByteBuffer dUp,
                                      int n) {
        ByteBuffer e = scratch(GELU_BLOCK);
        for (int from = 0; from < n; from += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, n - from);
            expAffine(gate, from, e, 0, len, -1f, 0f);                                        // e^(−gate)
            int bound = S.loopBound(len);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector g = load(gate, from + j);
                FloatVector dyv = load(dy, from + j);
                FloatVector sg = ONE.div(load(e, j).add(1f));                                 // σ(gate)
                store(dyv.mul(load(up, from + j)).mul(sg).mul(g.mul(ONE.sub(sg)).add(1f)), dGate, from + j);
                store(dyv.mul(g).mul(sg), dUp, from + j);
            }
            for (; j < len; j++) {
                float g = gate.getFloat((from + j) * 4);
                float dyj = dy.getFloat((from + j) * 4);
                float sg = 1f / (e.getFloat(j * 4) + 1f);
                dGate.putFloat((from + j) * 4, dyj * up.getFloat((from + j) * 4) * sg * (g * (1f - sg) + 1f));
                dUp.putFloat((from + j) * 4, dyj * g * sg);
            }
        }
    }

    /**
     * For each row of an additive mask [masks, t, t]: one past its last column that is not −∞, the columns a softmax
     * row must compute (a causal row q: q + 1); the columns after it have probability exactly 0. A row with no
     * visible column keeps all t.
     */
    public static int[] visibleWidths(ByteBuffer bias, int masks, int t) {
        int[] widths = new int[masks * t];
        for (int r = 0; r < masks * t; r++) {
            int w = t;
            while (w > 0 && bias.getFloat((r * t + w - 1) * 4) == Float.NEGATIVE_INFINITY) {
                w--;
            }
            widths[r] = w == 0 ? t : w;
        }
        return widths;
    }

    /**
     * A row's visible width rounded up to whole vectors (at most t): the columns past the width are masked, so
     * computing them costs a vector's lanes, not a scalar tail.
     */
    private static int wholeVectors(int width, int t) {
        return Math.min(t, (width + L - 1) / L * L);
    }

    /**
     * Attention probabilities in place: each row of scores [groups·t, t] becomes
     * {@code softmax(scale·row + bias_row)}, where group i uses the mask rows {@code
     * bias[(i / headsPerMask mod masks)·t·t ...]}: bias is [masks, t, t] (1 mask shared by every
     * sequence, or one per sequence with {@code headsPerMask} = heads). Each row is computed over its mask row's
     * {@link #visibleWidths} {@code widths} and zero after it: a causal mask halves the work.
     */
    public static void attentionSoftmax(ByteBuffer scores, float scale, ByteBuffer bias, int masks, int headsPerMask,
                                        int groups, int t, int[] widths) {
        FloatVector scaleV = FloatVector.broadcast(S, scale);
        for (int gi = 0; gi < groups; gi++) {
            int maskRow = ((gi / headsPerMask) % masks) * t;
            for (int q = 0; q < t; q++) {
                int o = (gi * t + q) * t;
                int mo = (maskRow + q) * t;
                int w = wholeVectors(widths[maskRow + q], t);
                int bound = S.loopBound(w);
                FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector v = load(scores, o + j).fma(scaleV, load(bias, mo + j));
                    store(v, scores, o + j);
                    maxV = maxV.max(v);
                }
                float max = maxV.reduceLanes(VectorOperators.MAX);
                for (; j < w; j++) {
                    float v = scores.getFloat((o + j) * 4) * scale + bias.getFloat((mo + j) * 4);
                    scores.putFloat((o + j) * 4, v);
                    max = Math.max(max, v);
                }
                float sum = expAffine(scores, o, scores, o, w, 1f, -max);
                FloatVector inv = FloatVector.broadcast(S, 1f / sum);
                j = 0;
                for (; j < bound; j += L) {
                    store(load(scores, o + j).mul(inv), scores, o + j);
                }
                float invS = 1f / sum;
                for (; j < w; j++) {
                    scores.putFloat((o + j) * 4, scores.getFloat((o + j) * 4) * invS);
                }
                fill(scores, o + w, t - w, 0f);
            }
        }
    }

    /**
     * Softmax backward in place over rows of length t: {@code dp ← scale·p·(dp − Σ p·dp)} (the
     * gradient with respect to the unscaled scores of {@link #attentionSoftmax}), over each row's visible width
     * (rows grouped and masked as there), zero after it where p is 0.
     */
    public static void softmaxBackward(ByteBuffer p, ByteBuffer dp, float scale, int groups, int t, int masks,
                                       int headsPerMask, int[] widths) {
        FloatVector scaleV = FloatVector.broadcast(S, scale);
        for (int gi = 0; gi < groups; gi++) {
            int maskRow = ((gi / headsPerMask) % masks) * t;
            for (int q = 0; q < t; q++) {
                int o = (gi * t + q) * t;
                int w = wholeVectors(widths[maskRow + q], t);
                int bound = S.loopBound(w);
                float dot = dot(p, o, dp, o, w);
                FloatVector dotV = FloatVector.broadcast(S, dot);
                int j = 0;
                for (; j < bound; j += L) {
                    store(load(dp, o + j).sub(dotV).mul(load(p, o + j)).mul(scaleV), dp, o + j);
                }
                for (; j < w; j++) {
                    float v = (dp.getFloat((o + j) * 4) - dot) * p.getFloat((o + j) * 4) * scale;
                    dp.putFloat((o + j) * 4, v);
                }
                fill(dp, o + w, t - w, 0f);
            }
        }
    }

    /** {@code out[j] = Σ_r x[r, j]} for x [rows, cols] (a bias gradient). */
    public static void columnSum(ByteBuffer x, float[] out, int rows, int cols) {
        Arrays.fill(out, 0f);
        int bound = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, out, j).add(load(x, o + j)).intoArray(out, j);
            }
            for (; j < cols; j++) {
                out[j] += x.getFloat((o + j) * 4);
            }
        }
    }

    /** {@code x[r, :] += v} for x [rows, cols] and v [cols] (a bias). */
    public static void addRow(ByteBuffer x, ByteBuffer v, int rows, int cols) {
        int bound = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            int j = 0;
            for (; j < bound; j += L) {
                store(load(x, o + j).add(load(v, j)), x, o + j);
            }
            for (; j < cols; j++) {
                x.putFloat((o + j) * 4, x.getFloat((o + j) * 4) + v.getFloat(j * 4));
            }
        }
    }

    /**
     * Attention of n new tokens per sequence over a key/value cache, for sampling. For sequence b,
     * query head h and new token i (absolute position {@code start + i}), the query is read from
     * {@code q} [B·n, H·D] (columns h·D..); the new tokens' keys and values, {@code k} and {@code v}
     * [B·n, Hkv·D], are first written to the caches at their positions: {@code keys} transposed, [B, Hkv, D,
     * keyStride], {@code values} [B, Hkv, cap, D]. Then {@code y[b·n+i, h·D..] = Σ_k p_k·V[b,kv,k]} with {@code p =
     * softmax(scale·q·K[b,kv,k])}, kv = h / (H / Hkv) the key/value head query head h shares, over the visible keys:
     * k ≤ the query's position and {@code keyValid[b·cap+k] ≠ 0}, or the query itself when it is padding (as {@link
     * rlhf4j.model.TokenBatch#attentionBias} masks). {@code scores} is scratch of ≥ keyStride floats.
     *
     * <p>Keys are stored transposed so that the scores of a vector's width of positions are one chain of D fused
     * multiply-adds over broadcast query elements, with no sum across lanes. The key stride, cap rounded up to a
     * multiple of {@link #KEY_STRIDE_MULTIPLE}, lets the last vector run past the filled positions; its extra lanes
     * are never read, and each lane is computed alike wherever the vector starts.
     *
     * <p>With {@code bf16} the caches hold bfloat16 (2 bytes an element: half the memory a step reads) and the two
     * products round their inputs as the BF16 training products do: q, k, the probabilities and v to bfloat16 (to
     * nearest, ties to even), sums in FLOAT.
     */
    public static void cachedAttention(ByteBuffer q, ByteBuffer k, ByteBuffer v, ByteBuffer keys, ByteBuffer values,
                                       int[] keyValid, ByteBuffer y, ByteBuffer scores, int batch, int heads,
                                       int kvHeads, int n, int start, int cap, int keyStride, int d, float scale,
                                       boolean bf16) {
        if (keyStride < cap || keyStride % L != 0) {
            throw new IllegalArgumentException("key stride " + keyStride + " for " + cap + " positions");
        }
        int c = heads * d;
        int kvc = kvHeads * d;
        int group = heads / kvHeads;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                int row = (b * n + i) * kvc;
                int position = start + i;
                for (int h = 0; h < kvHeads; h++) {
                    int keyPlane = (b * kvHeads + h) * d * keyStride;
                    int valueRow = ((b * kvHeads + h) * cap + position) * d;
                    for (int j = 0; j < d; j++) {                       // K[b, h, j, position], V[b, h, position, j]
                        float kj = k.getFloat((row + h * d + j) * 4);
                        float vj = v.getFloat((row + h * d + j) * 4);
                        if (bf16) {
                            keys.putShort((keyPlane + j * keyStride + position) * 2, bf16Bits(kj));
                            values.putShort((valueRow + j) * 2, bf16Bits(vj));
                        } else {
                            keys.putFloat((keyPlane + j * keyStride + position) * 4, kj);
                            values.putFloat((valueRow + j) * 4, vj);
                        }
                    }
                }
            }
        }
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                int absQ = start + i;
                int count = absQ + 1;
                boolean queryValid = keyValid[b * cap + absQ] != 0;
                int qRow = (b * n + i) * c;
                for (int h = 0; h < heads; h++) {
                    int qo = qRow + h * d;
                    int kv = b * kvHeads + h / group;
                    keyScores(q, qo, keys, kv * d * keyStride, scores, count, keyStride, d, bf16);
                    float max = Float.NEGATIVE_INFINITY;
                    for (int t = 0; t < count; t++) {
                        boolean visible = keyValid[b * cap + t] != 0 || (t == absQ && !queryValid);
                        float st = visible ? scores.getFloat(t * 4) * scale : Float.NEGATIVE_INFINITY;
                        scores.putFloat(t * 4, st);
                        max = Math.max(max, st);
                    }
                    float sum = expAffine(scores, 0, scores, 0, count, 1f, -max);     // invisible: e^−∞ = 0
                    if (bf16) {
                        for (int t = 0; t < count; t++) {
                            scores.putFloat(t * 4, roundToBf16(scores.getFloat(t * 4)));
                        }
                    }
                    weightedValues(scores, count, values, kv * cap * d, 1f / sum, y, qo, d, bf16);
                }
            }
        }
    }

    /** What {@link #cachedAttention}'s key stride must be a multiple of: every vector width's float count. */
    public static final int KEY_STRIDE_MULTIPLE = 16;

    /** x rounded to bfloat16, to nearest with ties to even (as oneDNN's conversion): the top 16 bits of a float. */
    static short bf16Bits(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return (short) ((bits >>> 16) | 0x40);                              // stays a (quiet) NaN
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** x rounded to the nearest bfloat16, as a float. */
    static float roundToBf16(float x) {
        return Float.intBitsToFloat(bf16Bits(x) << 16);
    }

    /** Shorts as many as the float species has lanes, and ints of the float species' shape. */
    private static final VectorSpecies<Short> BF16_SPECIES = VectorSpecies.of(short.class,
            VectorShape.forBitSize(L * Short.SIZE));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());

    /** L floats from element index i: FLOATs, or bfloat16 values widened exactly (a 16-bit shift). */
    private static FloatVector load(ByteBuffer b, int i, boolean bf16) {
        if (!bf16) {
            return load(b, i);
        }
        return ((IntVector) ShortVector.fromByteBuffer(BF16_SPECIES, b, i * 2, NATIVE)
                .convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** A query element as the product reads it: rounded to bfloat16 in the products over a BF16 cache. */
    private static float queryAt(ByteBuffer q, int index, boolean bf16) {
        float x = q.getFloat(index * 4);
        return bf16 ? roundToBf16(x) : x;
    }

    /**
     * {@code scores[t] = Σ_j q[qo + j]·K[j, t]} for t < count, rounded up to whole vectors, K [D, stride] from
     * {@code base}: per position one fma chain in j order.
     */
    private static void keyScores(ByteBuffer q, int qo, ByteBuffer keys, int base, ByteBuffer scores, int count,
                                  int stride, int d, boolean bf16) {
        int t = 0;
        for (; t + L < count; t += 2 * L) {                                    // two chains at once: fma latency
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            for (int j = 0; j < d; j++) {
                FloatVector qj = FloatVector.broadcast(S, queryAt(q, qo + j, bf16));
                int o = base + j * stride + t;
                a0 = qj.fma(load(keys, o, bf16), a0);
                a1 = qj.fma(load(keys, o + L, bf16), a1);
            }
            store(a0, scores, t);
            store(a1, scores, t + L);
        }
        if (t < count) {
            FloatVector a0 = FloatVector.zero(S);
            for (int j = 0; j < d; j++) {
                a0 = FloatVector.broadcast(S, queryAt(q, qo + j, bf16)).fma(load(keys, base + j * stride + t, bf16), a0);
            }
            store(a0, scores, t);
        }
    }

    /**
     * {@code y[yo + j] = inv·Σ_t p[t]·V[t, j]} over t < count with p[t] ≠ 0, V [cap, D] from {@code base}: per
     * column a chain of fused multiply-adds in t order, four vectors of columns at a time.
     */
    private static void weightedValues(ByteBuffer p, int count, ByteBuffer values, int base, float inv, ByteBuffer y,
                                       int yo, int d, boolean bf16) {
        int bound = S.loopBound(d);
        int j = 0;
        for (; j + 4 * L <= bound; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int t = 0; t < count; t++) {
                float pt0 = p.getFloat(t * 4);
                if (pt0 != 0f) {
                    FloatVector pt = FloatVector.broadcast(S, pt0);
                    int o = base + t * d + j;
                    a0 = load(values, o, bf16).fma(pt, a0);
                    a1 = load(values, o + L, bf16).fma(pt, a1);
                    a2 = load(values, o + 2 * L, bf16).fma(pt, a2);
                    a3 = load(values, o + 3 * L, bf16).fma(pt, a3);
                }
            }
            store(a0.mul(inv), y, yo + j);
            store(a1.mul(inv), y, yo + j + L);
            store(a2.mul(inv), y, yo + j + 2 * L);
            store(a3.mul(inv), y, yo + j + 3 * L);
        }
        for (; j < bound; j += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < count; t++) {
                float pt = p.getFloat(t * 4);
                if (pt != 0f) {
                    acc = load(values, base + t * d + j, bf16).fma(FloatVector.broadcast(S, pt), acc);
                }
            }
            store(acc.mul(inv), y, yo + j);
        }
        for (; j < d; j++) {
            float acc = 0;
            for (int t = 0; t < count; t++) {
                float vt = bf16 ? Float.intBitsToFloat(values.getShort((base + t * d + j) * 2) << 16)
                        : values.getFloat((base + t * d + j) * 4);
                acc += p.getFloat(t * 4) * vt;
            }
            y.putFloat((yo + j) * 4, acc * inv);
        }
    }

    /** {@code out[r, :] = a[ra[r], :] + b[rb[r], :]} for rows of length c (embedding lookup). */
    public static void gatherAdd(ByteBuffer a, int[] ra, ByteBuffer b, int[] rb, ByteBuffer out, int c) {
        int bound = S.loopBound(c);
        for (int r = 0; r < ra.length; r++) {
            int ao = ra[r] * c;
            int bo = rb[r] * c;
            int o = r * c;
            int j = 0;
            for (; j < bound; j += L) {
                store(load(a, ao + j).add(load(b, bo + j)), out, o + j);
            }
            for (; j < c; j++) {
                out.putFloat((o + j) * 4, a.getFloat((ao + j) * 4) + b.getFloat((bo + j) * 4));
            }
        }
    }

    /**
     * {@code table[rows[r], :] += d[r, :]} for rows of length c, in row order: the gradient of a row lookup
     * (rows repeat; each repeat adds), into a table gradient that already holds its other contributions.
     */
    public static void scatterAddRows(ByteBuffer d, int[] rows, ByteBuffer table, int c) {
        int bound = S.loopBound(c);
        for (int r = 0; r < rows.length; r++) {
            int src = r * c;
            int dst = rows[r] * c;
            int j = 0;
            for (; j < bound; j += L) {
                store(load(table, dst + j).add(load(d, src + j)), table, dst + j);
            }
            for (; j < c; j++) {
                table.putFloat((dst + j) * 4, table.getFloat((dst + j) * 4) + d.getFloat((src + j) * 4));
            }
        }
    }

    /** {@code out = a + b} over n elements (out may be a or b). */
    public static void add(ByteBuffer a, ByteBuffer b, ByteBuffer out, int n) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            store(load(a, j).add(load(b, j)), out, j);
        }
        for (; j < n; j++) {
            out.putFloat(j * 4, a.getFloat(j * 4) + b.getFloat(j * 4));
        }
    }

    /** {@code dst[to ..< to + count] = src[from ..< from + count]} (element indices). */
    public static void copy(ByteBuffer src, int from, ByteBuffer dst, int to, int count) {
        int bound = S.loopBound(count);
        int j = 0;
        for (; j < bound; j += L) {
            store(load(src, from + j), dst, to + j);
        }
        for (; j < count; j++) {
            dst.putFloat((to + j) * 4, src.getFloat((from + j) * 4));
        }
    }

    /** The largest of the n floats of z from element offset o. */
    private static float rowMax(ByteBuffer z, int o, int n) {
        int bound = S.loopBound(n);
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += L) {
            maxV = maxV.max(load(z, o + j));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            max = Math.max(max, z.getFloat((o + j) * 4));
        }
        return max;
    }

    /** {@code dz[o + j] += a·p[j]·(z[o + j] − c)} over n elements, or {@code += a·p[j]} when z is null. */
    private static void addScaled(ByteBuffer dz, int o, ByteBuffer p, ByteBuffer z, float a, float c, int n) {
        int bound = S.loopBound(n);
        FloatVector aV = FloatVector.broadcast(S, a);
        FloatVector cV = FloatVector.broadcast(S, c);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector term = z == null ? load(p, j).mul(aV) : load(p, j).mul(aV).mul(load(z, o + j).sub(cV));
            store(load(dz, o + j).add(term), dz, o + j);
        }
        for (; j < n; j++) {
            float term = z == null ? p.getFloat(j * 4) * a : p.getFloat(j * 4) * a * (z.getFloat((o + j) * 4) - c);
            dz.putFloat((o + j) * 4, dz.getFloat((o + j) * 4) + term);
        }
    }

    /**
     * The log-probability of each row's target: {@code out[r] = z[r, targets[r]] − lse_r} for logits z
     * [rows, v], with {@code lse_r = log Σ_j e^(z_rj)} kept for the backward. z is left unchanged.
     */
    public static void logSoftmaxAt(ByteBuffer z, int[] targets, ByteBuffer out, float[] lse, int rows, int v) {
        ByteBuffer e = scratch(v);
        for (int r = 0; r < rows; r++) {
            int o = r * v;
            float max = rowMax(z, o, v);
            float sum = expAffine(z, o, e, 0, v, 1f, -max);                                 // e^(z − max)
            lse[r] = max + (float) StrictMath.log(sum);
            out.putFloat(r * 4, z.getFloat((o + targets[r]) * 4) - lse[r]);
        }
    }

    /** Backward of {@link #logSoftmaxAt}: {@code dz[r, j] += g_r·(δ(j = targets[r]) − softmax(z_r)_j)}. */
    public static void logSoftmaxAtBackward(ByteBuffer z, float[] lse, int[] targets, ByteBuffer g, ByteBuffer dz,
                                            int rows, int v) {
        ByteBuffer p = scratch(v);
        for (int r = 0; r < rows; r++) {
            float gr = g.getFloat(r * 4);
            if (gr == 0f) {
                continue;
            }
            int o = r * v;
            expAffine(z, o, p, 0, v, 1f, -lse[r]);                                          // softmax
            addScaled(dz, o, p, null, -gr, 0f, v);
            int t = (o + targets[r]) * 4;
            dz.putFloat(t, dz.getFloat(t) + gr);
        }
    }

    /**
     * The entropy of each row's softmax, {@code out[r] = −Σ_j p_j log p_j = lse_r − Σ_j p_j z_j}, for
     * logits z [rows, v]; lse kept for the backward. z is left unchanged.
     */
    public static void entropy(ByteBuffer z, ByteBuffer out, float[] lse, int rows, int v) {
        ByteBuffer e = scratch(v);
        for (int r = 0; r < rows; r++) {
            int o = r * v;
            float max = rowMax(z, o, v);
            float sum = expAffine(z, o, e, 0, v, 1f, -max);                                 // e^(z − max)
            lse[r] = max + (float) StrictMath.log(sum);
            out.putFloat(r * 4, lse[r] - dot(e, 0, z, o, v) / sum);
        }
    }

    /**
     * Backward of {@link #entropy}: {@code dz[r, j] += −g_r·p_j·(log p_j + H_r) = −g_r·p_j·(z_j − (lse_r −
     * H_r))}, with H the forward's output.
     */
    public static void entropyBackward(ByteBuffer z, float[] lse, ByteBuffer entropy, ByteBuffer g, ByteBuffer dz,
                                       int rows, int v) {
        ByteBuffer p = scratch(v);
        for (int r = 0; r < rows; r++) {
            float gr = g.getFloat(r * 4);
            if (gr == 0f) {
                continue;
            }
            int o = r * v;
            expAffine(z, o, p, 0, v, 1f, -lse[r]);                                          // softmax
            addScaled(dz, o, p, z, -gr, lse[r] - entropy.getFloat(r * 4), v);
        }
    }

    /**
     * One AdamW update of n elements in one pass (torch.optim.AdamW): {@code p ← p·decay}, {@code
     * m ← b1·m + (1−b1)·g}, {@code v ← b2·v + (1−b2)·g²}, {@code p ← p − stepSize·m / (sqrt(v) /
     * bc2Sqrt + eps)}, with decay = 1 − lr·wd (or 1), stepSize = lr / (1 − b1^t), bc2Sqrt =
     * sqrt(1 − b2^t).
     */
    public static void adamW(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, float decay, float b1,
                             float b2, float stepSize, float bc2Sqrt, float eps) {
        int bound = S.loopBound(n);
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        float invBc2 = 1f / bc2Sqrt;
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector gv = load(g, i);
            FloatVector mv = load(m, i).mul(b1).add(gv.mul(c1));
            FloatVector vv = load(v, i).mul(b2).add(gv.mul(gv).mul(c2));
            store(mv, m, i);
            store(vv, v, i);
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).mul(invBc2).add(eps);
            store(load(p, i).mul(decay).sub(mv.mul(stepSize).div(denom)), p, i);
        }
        for (; i < n; i++) {
            float gi = g.getFloat(i * 4);
            float mi = m.getFloat(i * 4) * b1 + gi * c1;
            float vi = v.getFloat(i * 4) * b2 + gi * gi * c2;
            m.putFloat(i * 4, mi);
            v.putFloat(i * 4, vi);
            float denom = (float) Math.sqrt(vi) * invBc2 + eps;
            p.putFloat(i * 4, p.getFloat(i * 4) * decay - mi * stepSize / denom);
        }
    }

    /**
     * A block of columns from one row-major matrix to another: {@code dst[r, dstOffset .. + width] = src[r,
     * srcOffset .. + width]} for rows r &lt; rows, src rows of {@code srcStride} floats and dst rows of {@code
     * dstStride} (a part of the fused q, k, v projection, or that part's gradient back into the whole).
     */
    public static void copyColumns(ByteBuffer src, int srcStride, int srcOffset, ByteBuffer dst, int dstStride,
                                   int dstOffset, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            copy(src, r * srcStride + srcOffset, dst, r * dstStride + dstOffset, width);
        }
    }

    /** {@code dst[r, offset .. + width] = value} for rows r &lt; rows of {@code stride} floats. */
    public static void fillColumns(ByteBuffer dst, int stride, int offset, int rows, int width, float value) {
        for (int r = 0; r < rows; r++) {
            fill(dst, r * stride + offset, width, value);
        }
    }

    /** {@code dst[from .. from + n) = value}. */
    static void fill(ByteBuffer dst, int from, int n, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            store(v, dst, from + j);
        }
        for (; j < n; j++) {
            dst.putFloat((from + j) * 4, value);
        }
    }

    /**
     * Splits heads out of rows: {@code dst[b, h, t, :] = src[b·T + t, offset + h·d .. + d]} for src
     * rows of {@code stride} floats and dst [B, H, T, d] (e.g. the heads of q [B·T, H·D]).
     */
    public static void toHeads(ByteBuffer src, int stride, int offset, ByteBuffer dst, int batch, int t, int heads,
                               int d) {
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    copy(src, (b * t + i) * stride + offset + h * d, dst, ((b * heads + h) * t + i) * d, d);
                }
            }
        }
    }

    /** The inverse of {@link #toHeads}: {@code dst[b·T + t, offset + h·d .. + d] = src[b, h, t, :]}. */
    public static void fromHeads(ByteBuffer src, ByteBuffer dst, int stride, int offset, int batch, int t, int heads,
                                 int d) {
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    copy(src, ((b * heads + h) * t + i) * d, dst, (b * t + i) * stride + offset + h * d, d);
                }
            }
        }
    }
}
