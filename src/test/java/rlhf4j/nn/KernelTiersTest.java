package rlhf4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import rlhf4j.train.ChildJvm;

/**
 * The kernels give the same bits in every JIT tier: interpreted (the Vector API's Java fallback)
 * and compiled by C2 (its intrinsics), which is what lets a resumed run repeat an uninterrupted
 * one. Also the kernels' own {@code exp}: accurate, and its vector and scalar forms equal.
 */
class KernelTiersTest {

    @Test
    void interpretedAndCompiledKernelsAgreeBitwise() throws Exception {
        String interpreted = probe("-Xint");
        String compiled = probe("-Xcomp", "-XX:-TieredCompilation");
        String tiered = probe();
        assertEquals(interpreted, compiled, "interpreted vs C2-compiled kernels");
        assertEquals(interpreted, tiered, "interpreted vs tiered kernels");
        assertEquals(interpreted, KernelProbe.digest(), "child JVM vs this JVM");
    }

    /**
     * The vector width changes the kernels' bits (their sums run in lanes of that width), and pinning another JVM to
     * this one's width ({@code -Drlhf4j.vector_bits}, what a Spark run gives its executors) gives this JVM's bits.
     */
    @Test
    void theVectorWidthChangesTheBitsAndPinningItRestoresThem() throws Exception {
        int bits = FloatKernels.lanes() * Float.SIZE;
        assertEquals(KernelProbe.digest(), probe(VectorSupport.pinLanesOption()), "pinned to this JVM's " + bits);
        String other = bits == 128 ? "256" : "128";
        assertNotEquals(KernelProbe.digest(), probe("-D" + FloatKernels.VECTOR_BITS + "=" + other),
                other + " bits against " + bits);
    }

    @Test
    void expIsAccurateToAFewUlps() {
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 0.0173f) {
            double exact = Math.exp(x);
            double ulps = Math.abs(FloatKernels.exp(x) - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        for (float x = -95f; x < -80f; x += 0.001f) {     // never subnormal (slow on x86): normal or 0
            float e = FloatKernels.exp(x);
            assertTrue(e == 0f || e >= Float.MIN_NORMAL, "exp(" + x + ") = " + e);
        }
        assertEquals(1f, FloatKernels.exp(0f));
        assertEquals(0f, FloatKernels.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, FloatKernels.exp(-200f));
        assertEquals(Float.POSITIVE_INFINITY, FloatKernels.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, FloatKernels.exp(100f));
        assertTrue(Float.isNaN(FloatKernels.exp(Float.NaN)));
    }

    @Test
    void vectorExpEqualsScalarExpOnEveryElement() {
        int n = 20011;                                  // vector loop and a tail
        float[] special = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -87.5f, 88.5f, -0f, 1e-30f};
        ByteBuffer src = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        ByteBuffer dst = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int k = 0; k < n; k++) {
            src.putFloat(k * 4, k % 97 == 0 ? special[(k / 97) % special.length] : (k - 10000) * 0.0091f);
        }
        for (float[] ab : new float[][] {{1f, 0f}, {-1.702f, 0f}, {1f, -3.25f}}) {
            float sum = FloatKernels.expAffine(src, 0, dst, 0, n, ab[0], ab[1]);
            for (int k = 0; k < n; k++) {
                float x = Math.fma(src.getFloat(k * 4), ab[0], ab[1]);
                assertEquals(Float.floatToIntBits(FloatKernels.exp(x)), Float.floatToIntBits(dst.getFloat(k * 4)),
                        "exp(" + x + ")");
            }
            assertTrue(Float.isNaN(sum), "a NaN input makes the sum NaN");
        }
        ByteBuffer row = ByteBuffer.allocateDirect(40 * 4).order(ByteOrder.nativeOrder());
        for (int k = 0; k < 40; k++) {
            row.putFloat(k * 4, -k * 0.5f);
        }
        float sum = FloatKernels.expAffine(row, 0, row, 0, 40, 1f, 0f);      // in place
        for (int k = 0; k < 40; k++) {
            assertEquals(FloatKernels.exp(-k * 0.5f), row.getFloat(k * 4));
        }
        assertEquals(Math.exp(0) * (1 - Math.exp(-20)) / (1 - Math.exp(-0.5)), sum, 1e-5);
    }

    @Test
    void lanesAreSummedInLaneOrder() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] xs = new float[lanes];
        float expected = 0f;
        for (int i = 0; i < lanes; i++) {
            xs[i] = (i % 2 == 0 ? 1e8f : -1e8f) + i * 0.37f;
            expected += xs[i];
        }
        assertEquals(expected, FloatKernels.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, 0)));
    }

    private static String probe(String... jvmFlags) throws IOException, InterruptedException {
        List<String> cmd = ChildJvm.command("512m", List.of(jvmFlags), KernelProbe.class);
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(10, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, proc.exitValue(), out);
        String[] lines = out.strip().split("\\R");
        return lines[lines.length - 1];
    }
}
