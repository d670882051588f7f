package rlhf4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Test
    void expIsAccurateToAFewUlps() {
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 0.0173f) {
            double exact = Math.exp(x);
            double ulps = Math.abs(FloatKernels.exp(x) - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        assertEquals(1f, FloatKernels.exp(0f));
        assertEquals(0f, FloatKernels.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, FloatKernels.exp(-200f));
        assertEquals(Float.POSITIVE_INFINITY, FloatKernels.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, FloatKernels.exp(100f));
        assertTrue(Float.isNaN(FloatKernels.exp(Float.NaN)));
    }

    @Test
    void vectorExpEqualsScalarExpOnEveryLane() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] xs = new float[lanes];
        float[] special = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -87.5f, 88.5f, -0f, 1e-30f};
        for (int start = 0; start < 20000; start += lanes) {
            for (int i = 0; i < lanes; i++) {
                int k = start + i;
                xs[i] = k % 97 == 0 ? special[(k / 97) % special.length] : (k - 10000) * 0.0091f;
            }
            float[] got = new float[lanes];
            FloatKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, 0)).intoArray(got, 0);
            for (int i = 0; i < lanes; i++) {
                assertEquals(Float.floatToIntBits(FloatKernels.exp(xs[i])), Float.floatToIntBits(got[i]),
                        "exp(" + xs[i] + ")");
            }
        }
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
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(List.of(jvmFlags));
        cmd.add("-cp");
        cmd.add(ChildJvm.classPath());
        cmd.add(KernelProbe.class.getName());
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(10, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, proc.exitValue(), out);
        String[] lines = out.strip().split("\\R");
        return lines[lines.length - 1];
    }
}
