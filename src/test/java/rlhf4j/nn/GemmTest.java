package rlhf4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every library's products against a DOUBLE reference computed here: OpenBLAS and oneDNN in FP32 to FLOAT rounding,
 * oneDNN in BF16 to FLOAT rounding of the product of the BF16-rounded inputs, and within the stated BF16 bound of the
 * exact product; the same call twice gives the same bits; the run-time choice falls back as documented.
 */
class GemmTest {
    /** FP32 accumulation: relative to Σ|a||b| (plus |beta·c|), far below one BF16 step. */
    private static final double FP32_TOLERANCE = 2e-6;
    /**
     * BF16 inputs: each rounded to 8 significant bits, a relative error of at most 2^-8 each, so a product term is
     * off by at most ~2^-7 of |a||b|; the bound on an output is 2^-7 of Σ|a||b| (plus FP32 accumulation).
     */
    private static final double BF16_BOUND = Math.pow(2, -7) + Math.pow(2, -16) + FP32_TOLERANCE;

    /** A product's sizes and options. */
    private record Case(int groups, int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {}

    private static List<Case> cases() {
        return List.of(
                new Case(0, 64, 96, 48, false, false, 1f, 0f),      // 2-D (groups 0)
                new Case(0, 33, 17, 70, false, true, 1f, 0f),       // odd sizes, b transposed (decoding's [out, in])
                new Case(0, 40, 24, 64, true, false, 1f, 1f),       // a transposed, accumulating (dW += xᵀ·dy)
                new Case(0, 8, 128, 32, false, true, 0.5f, 1f),     // scaled and accumulating (the tied head)
                new Case(0, 5, 7, 3, true, true, 2f, 0f),
                new Case(6, 16, 16, 8, false, true, 1f, 0f),        // batched q·kᵀ
                new Case(6, 16, 8, 16, false, false, 1f, 0f),       // batched p·v
                new Case(4, 12, 10, 9, true, false, 1f, 1f));       // batched, a transposed
    }

    @Test
    void openBlasMatchesTheReference() {
        for (Case c : cases()) {
            check(OpenBlasGemm.INSTANCE, c, false);
        }
    }

    @Test
    void oneDnnFp32MatchesTheReference() {
        Gemm fp32 = Matmuls.of(Precision.FP32);
        Assumptions.assumeTrue(fp32 instanceof DnnlGemm, "oneDNN is not the FP32 path here: " + fp32.describe());
        for (Case c : cases()) {
            check(fp32, c, false);
        }
    }

    @Test
    void oneDnnBf16IsTheProductOfRoundedInputsWithinItsBound() {
        Assumptions.assumeTrue(Matmuls.isa().compareTo(Matmuls.Isa.AVX512_BF16) >= 0, "no BF16 instructions here");
        Gemm bf16 = Matmuls.of(Precision.BF16);
        assertTrue(bf16.describe().contains("BF16"), bf16.describe());
        double worstFromExact = 0;
        for (Case c : cases()) {
            worstFromExact = Math.max(worstFromExact, check(bf16, c, true));
        }
        // and the rounding is really there: BF16 misses the exact product by far more than FLOAT would
        assertTrue(worstFromExact > 10 * FP32_TOLERANCE, "BF16 error " + worstFromExact);
    }

    /**
     * A right operand prepared once ({@link Gemm#constant}: OpenBLAS's transposed copy, oneDNN's packed BF16 copy)
     * gives that library's product, within the same bounds; a reused operand follows the array's new values.
     */
    @Test
    void constantOperandsGiveTheLibrarysProduct() {
        boolean hasBf16 = Matmuls.isa().compareTo(Matmuls.Isa.AVX512_BF16) >= 0;
        for (Gemm g : List.of(OpenBlasGemm.INSTANCE, Matmuls.of(Precision.FP32), Matmuls.of(Precision.BF16))) {
            boolean bf16 = g == Matmuls.of(Precision.BF16) && hasBf16;
            for (Case c : cases()) {
                if (c.groups == 0) {
                    check(g, c, bf16, true);
                }
            }
            Case c = cases().get(1);
            Operands o = operands(c, 3);
            Gemm.Operand first = g.constant(o.b, c.transB, null);
            o.b.muli(2f);
            Gemm.Operand again = g.constant(o.b, c.transB, first);
            INDArray got = o.c.dup();
            INDArray plain = o.c.dup();
            g.gemm(o.a, c.transA, again, got, c.alpha, c.beta);
            g.gemm(o.a, c.transA, o.b, c.transB, plain, c.alpha, c.beta);
            float[] x = got.data().asFloat();
            float[] y = plain.data().asFloat();
            for (int i = 0; i < x.length; i++) {
                assertEquals(y[i], x[i], 1e-4 * (1 + Math.abs(y[i])), g.describe() + ": reused operand, element " + i);
            }
        }
    }

    /** The rounding the reference and the decoding caches use: to nearest bfloat16, ties to even, NaN kept. */
    @Test
    void bf16RoundingIsToNearestWithTiesToEven() {
        assertEquals(1f, FloatKernels.roundToBf16(1f));
        assertEquals(1f, FloatKernels.roundToBf16(1f + 0x1p-8f), "a tie goes to the even 1.0");
        assertEquals(1f + 0x1p-6f, FloatKernels.roundToBf16(1f + 3 * 0x1p-8f), "a tie goes to the even 1 + 2^-6");
        assertEquals(1f + 0x1p-7f, FloatKernels.roundToBf16(1f + 0x1p-8f + 0x1p-20f), "above the tie: up");
        assertEquals(-2f, FloatKernels.roundToBf16(-2f - 0x1p-9f), "below the tie: down, sign kept");
        assertEquals(Float.POSITIVE_INFINITY, FloatKernels.roundToBf16(Float.MAX_VALUE), "past the largest bfloat16");
        assertTrue(Float.isNaN(FloatKernels.roundToBf16(Float.intBitsToFloat(0x7F800001))), "a NaN stays a NaN");
    }

    @Test
    void eachLibraryGivesTheSameBitsTwice() {
        for (Gemm g : List.of(OpenBlasGemm.INSTANCE, Matmuls.of(Precision.FP32), Matmuls.of(Precision.BF16))) {
            for (Case c : cases()) {
                Operands o = operands(c, 11);
                INDArray first = o.c.dup();
                INDArray second = o.c.dup();
                multiply(g, c, o.a, o.b, first);
                multiply(g, c, o.a, o.b, second);
                assertEquals(first, second, g.describe() + " " + c);
            }
        }
    }

    @Test
    void anEmptyProductOnlyScalesC() {
        for (Gemm g : List.of(OpenBlasGemm.INSTANCE, Matmuls.of(Precision.FP32), Matmuls.of(Precision.BF16))) {
            INDArray a = Nd4j.create(DataType.FLOAT, 3, 0);
            INDArray b = Nd4j.create(DataType.FLOAT, 0, 4);
            INDArray c = Nd4j.ones(DataType.FLOAT, 3, 4);
            g.gemm(a, false, b, false, c, 1f, 1f);
            assertEquals(Nd4j.ones(DataType.FLOAT, 3, 4), c, g.describe() + ", beta 1");
            g.gemm(a, false, b, false, c, 1f, 0f);
            assertEquals(Nd4j.zeros(DataType.FLOAT, 3, 4), c, g.describe() + ", beta 0");
        }
    }

    @Test
    void theChoiceFallsBackWithTheCpu() {
        assertEquals(Precision.BF16, Matmuls.effective(Precision.BF16, Matmuls.Isa.AMX));
        assertEquals(Precision.BF16, Matmuls.effective(Precision.BF16, Matmuls.Isa.AVX512_BF16));
        assertEquals(Precision.FP32, Matmuls.effective(Precision.BF16, Matmuls.Isa.AVX512));
        assertEquals(Precision.FP32, Matmuls.effective(Precision.BF16, Matmuls.Isa.AVX2));
        assertEquals(Precision.FP32, Matmuls.effective(Precision.FP32, Matmuls.Isa.AMX));
        assertSame(OpenBlasGemm.INSTANCE, Matmuls.of(Precision.BF16, Matmuls.Isa.OLD), "below AVX2: OpenBLAS");
        assertSame(OpenBlasGemm.INSTANCE, Matmuls.of(Precision.FP32, Matmuls.Isa.NONE), "no oneDNN: OpenBLAS");
        Gemm noBf16 = Matmuls.of(Precision.BF16, Matmuls.Isa.AVX2);
        assertTrue(noBf16.describe().endsWith("FP32"), noBf16.describe());
        assertSame(Matmuls.of(Precision.FP32), noBf16, "a CPU without BF16 runs bf16 on the FP32 path");
    }

    /** A BF16 machine computes BF16 products that differ from its FP32 ones (the switch is not a no-op). */
    @Test
    void bf16DiffersFromFp32WhereTheCpuHasIt() {
        Assumptions.assumeTrue(Matmuls.isa().compareTo(Matmuls.Isa.AVX512_BF16) >= 0, "no BF16 instructions here");
        Case c = cases().get(0);
        Operands o = operands(c, 5);
        INDArray fp32 = o.c.dup();
        INDArray bf16 = o.c.dup();
        multiply(Matmuls.of(Precision.FP32), c, o.a, o.b, fp32);
        multiply(Matmuls.of(Precision.BF16), c, o.a, o.b, bf16);
        assertNotEquals(fp32, bf16);
    }

    private record Operands(INDArray a, INDArray b, INDArray c) {}

    private static Operands operands(Case c, long seed) {
        Random rng = new Random(seed);
        long[] aShape = c.transA ? dims(c.groups, c.k, c.m) : dims(c.groups, c.m, c.k);
        long[] bShape = c.transB ? dims(c.groups, c.n, c.k) : dims(c.groups, c.k, c.n);
        return new Operands(random(aShape, rng), random(bShape, rng), random(dims(c.groups, c.m, c.n), rng));
    }

    /**
     * Checks g's product against the DOUBLE reference; in BF16 against the product of the rounded inputs to FLOAT
     * accuracy and against the exact product within {@link #BF16_BOUND}. Returns the worst relative distance from
     * the exact product.
     */
    private static double check(Gemm g, Case c, boolean bf16) {
        return check(g, c, bf16, false);
    }

    /** {@link #check}, with b made a {@link Gemm#constant} first when {@code constant} (2-D cases). */
    private static double check(Gemm g, Case c, boolean bf16, boolean constant) {
        Operands o = operands(c, c.hashCode());
        INDArray got = o.c.dup();
        if (constant) {
            g.gemm(o.a, c.transA, g.constant(o.b, c.transB, null), got, c.alpha, c.beta);
        } else {
            multiply(g, c, o.a, o.b, got);
        }
        double[] exact = reference(c, o.a, o.b, o.c, false);
        double[] rounded = bf16 ? reference(c, o.a, o.b, o.c, true) : exact;
        double[] scale = scale(c, o.a, o.b, o.c);
        float[] out = got.data().asFloat();
        double worst = 0;
        for (int i = 0; i < out.length; i++) {
            double fromRounded = Math.abs(out[i] - rounded[i]) / scale[i];
            assertTrue(fromRounded <= FP32_TOLERANCE, g.describe() + " " + c + " element " + i + ": " + out[i]
                    + " vs " + rounded[i] + " (relative " + fromRounded + ")");
            double fromExact = Math.abs(out[i] - exact[i]) / scale[i];
            assertTrue(fromExact <= (bf16 ? BF16_BOUND : FP32_TOLERANCE), g.describe() + " " + c + " element " + i
                    + " off the exact product by " + fromExact);
            worst = Math.max(worst, fromExact);
        }
        return worst;
    }

    private static void multiply(Gemm g, Case c, INDArray a, INDArray b, INDArray out) {
        if (c.groups == 0) {
            g.gemm(a, c.transA, b, c.transB, out, c.alpha, c.beta);
        } else {
            g.batched(a, c.transA, b, c.transB, out, c.alpha, c.beta);
        }
    }

    /** alpha·op(a)·op(b) + beta·c in DOUBLE, from the FLOAT inputs or from their BF16 roundings. */
    private static double[] reference(Case c, INDArray a, INDArray b, INDArray c0, boolean roundToBf16) {
        float[] av = a.data().asFloat();
        float[] bv = b.data().asFloat();
        float[] cv = c0.data().asFloat();
        int groups = Math.max(1, c.groups);
        double[] out = new double[groups * c.m * c.n];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < c.m; i++) {
                for (int j = 0; j < c.n; j++) {
                    double sum = 0;
                    for (int p = 0; p < c.k; p++) {
                        double x = at(av, g, c.m, c.k, i, p, c.transA, roundToBf16);
                        double y = at(bv, g, c.k, c.n, p, j, c.transB, roundToBf16);
                        sum += x * y;
                    }
                    int o = (g * c.m + i) * c.n + j;
                    out[o] = c.alpha * sum + c.beta * cv[o];
                }
            }
        }
        return out;
    }

    /** alpha·Σ|a||b| + |beta·c|: what an error bound on a sum of products is relative to. */
    private static double[] scale(Case c, INDArray a, INDArray b, INDArray c0) {
        INDArray absA = Nd4j.math().abs(a.dup());
        INDArray absB = Nd4j.math().abs(b.dup());
        INDArray zero = Nd4j.zeros(DataType.FLOAT, c0.shape());
        double[] s = reference(new Case(c.groups, c.m, c.n, c.k, c.transA, c.transB, Math.abs(c.alpha), 0f), absA, absB,
                zero, false);
        float[] cv = c0.data().asFloat();
        for (int i = 0; i < s.length; i++) {
            s[i] += Math.abs(c.beta * cv[i]) + 1e-30;
        }
        return s;
    }

    /** Element (i, j) of op(x) for logical [rows, cols], x stored [G, rows, cols] or transposed [G, cols, rows]. */
    private static double at(float[] x, int g, int rows, int cols, int i, int j, boolean transposed, boolean bf16) {
        float v = transposed ? x[(g * cols + j) * rows + i] : x[(g * rows + i) * cols + j];
        return bf16 ? FloatKernels.roundToBf16(v) : v;
    }

    /** Round to nearest bfloat16, ties to even (what oneDNN's reorder does for finite values). */

    private static long[] dims(int groups, int rows, int cols) {
        return groups == 0 ? new long[] {rows, cols} : new long[] {groups, rows, cols};
    }

    private static INDArray random(long[] shape, Random rng) {
        INDArray x = Nd4j.create(DataType.FLOAT, shape);
        long n = x.length();
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape(shape).castTo(DataType.FLOAT).dup('c');
    }
}
