package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;
import rlhf4j.train.ChildJvm;

/**
 * Same machine, same threads, same bits, on both precisions: training steps in a child JVM with one and with two
 * OpenMP threads (the kernels' products on oneDNN split over them) give the same digest every time, and the child
 * with one thread gives this JVM's (which runs with one). And a CPU without BF16, forced with oneDNN's own {@code
 * ONEDNN_MAX_CPU_ISA=AVX2}: a BF16 run trains there in FP32 on AVX2 kernels, and says so.
 */
class ThreadsDeterminismTest {

    @Test
    void eachThreadCountRepeatsItsBits() throws Exception {
        List<Engine> engines = new ArrayList<>(List.of(Engine.KERNELS));
        if (Matmuls.effective(Precision.BF16) == Precision.BF16) {
            engines.add(Engine.KERNELS_BF16);
        }
        for (Engine engine : engines) {
            String here = TrainingProbe.digest(engine);
            assertEquals(here, probe(engine.precision(), 1, null).get(2), engine + ", one thread: child vs this JVM");
            List<String> two = probe(engine.precision(), 2, null);
            assertEquals(engine.name(), two.get(0));
            assertEquals(two, probe(engine.precision(), 2, null), engine + ", two threads, run twice");
            assertTrue(two.get(2).matches("[0-9a-f]{64}"), two.get(2));
        }
    }

    @Test
    void aCpuWithoutBf16TrainsInFp32() throws Exception {
        Assumptions.assumeTrue(Matmuls.isa().compareTo(Matmuls.Isa.AVX2) >= 0, "oneDNN has no AVX2 here");
        List<String> forced = probe(Precision.BF16, 1, "AVX2");
        assertEquals(List.of(Engine.KERNELS.name(), "oneDNN avx2, FP32"), forced.subList(0, 2));
        assertEquals(forced, probe(Precision.BF16, 1, "AVX2"), "and repeats its bits");
    }

    /** The probe's three lines (engine, products, digest) from a child with these threads and oneDNN ISA cap. */
    private static List<String> probe(Precision wanted, int threads, String maxIsa)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command("512m", TrainingProbe.class, wanted.name()));
        pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
        if (maxIsa != null) {
            pb.environment().put("ONEDNN_MAX_CPU_ISA", maxIsa);
        }
        Process proc = pb.redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(5, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, proc.exitValue(), out);
        List<String> lines = out.strip().lines().toList();
        return lines.subList(lines.size() - 3, lines.size());
    }
}
