package rlhf4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.checkpoint.SafeTensors;

class AdamWTest {
    private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;
    private static final double[][] GRADS = {{0.1, -0.3}, {0.2, 0.05}, {-0.4, 0.1}};
    private static final double[] LRS = {0.01, 0.02, 0.005};

    /** The torch.optim.AdamW update, element by element in plain doubles. */
    private static double[] expected(double[] p0, double wd) {
        double[] p = p0.clone(), m = new double[2], v = new double[2];
        for (int t = 1; t <= GRADS.length; t++) {
            double lr = LRS[t - 1];
            for (int i = 0; i < 2; i++) {
                double g = GRADS[t - 1][i];
                p[i] -= lr * wd * p[i];
                m[i] = B1 * m[i] + (1 - B1) * g;
                v[i] = B2 * v[i] + (1 - B2) * g * g;
                double mHat = m[i] / (1 - Math.pow(B1, t));
                double vHat = v[i] / (1 - Math.pow(B2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + EPS);
            }
        }
        return p;
    }

    private static double[] run(double wd, Predicate<String> decays, String name, int steps) {
        LinkedHashMap<String, INDArray> params = new LinkedHashMap<>();
        params.put(name, Nd4j.create(new double[] {1.0, -2.0}, new long[] {2}, DataType.DOUBLE));
        AdamW opt = new AdamW(B1, B2, EPS, wd, decays);
        for (int t = 0; t < steps; t++) {
            Map<String, INDArray> grads = Map.of(name, Nd4j.create(GRADS[t], new long[] {2}, DataType.DOUBLE));
            opt.step(params, grads, LRS[t]);
        }
        assertEquals(steps, opt.stepCount());
        return params.get(name).toDoubleVector();
    }

    /** FLOAT parameters (the Vector API kernel) follow the DOUBLE ones (the reference above) to float precision. */
    @Test
    void floatKernelMatchesTheDoubleUpdate() {
        Random rng = new Random(7);
        int n = 1000;                                     // a vector loop and a scalar tail
        double[] p0 = new double[n];
        for (int i = 0; i < n; i++) {
            p0[i] = rng.nextGaussian();
        }
        LinkedHashMap<String, INDArray> pd = new LinkedHashMap<>();
        LinkedHashMap<String, INDArray> pf = new LinkedHashMap<>();
        pd.put("h.0.mlp.c_fc.weight", Nd4j.create(p0, new long[] {n}, DataType.DOUBLE));
        pf.put("h.0.mlp.c_fc.weight", pd.get("h.0.mlp.c_fc.weight").castTo(DataType.FLOAT));
        pd.put("h.0.mlp.c_fc.bias", Nd4j.create(p0, new long[] {n}, DataType.DOUBLE).muli(0.5));
        pf.put("h.0.mlp.c_fc.bias", pd.get("h.0.mlp.c_fc.bias").castTo(DataType.FLOAT));
        AdamW od = new AdamW(B1, B2, EPS, 0.1, AdamW.gpt2DecayRule(false));
        AdamW of = new AdamW(B1, B2, EPS, 0.1, AdamW.gpt2DecayRule(false));
        for (int t = 0; t < 5; t++) {
            Map<String, INDArray> gd = new LinkedHashMap<>();
            Map<String, INDArray> gf = new LinkedHashMap<>();
            for (String name : pd.keySet()) {
                double[] g = new double[n];
                for (int i = 0; i < n; i++) {
                    g[i] = rng.nextGaussian() * (i % 7 == 0 ? 1e-6 : 0.1);   // some tiny gradients: ε matters
                }
                gd.put(name, Nd4j.create(g, new long[] {n}, DataType.DOUBLE));
                gf.put(name, gd.get(name).castTo(DataType.FLOAT));
            }
            od.step(pd, gd, 0.01);
            of.step(pf, gf, 0.01);
        }
        for (String name : pd.keySet()) {
            assertArrayEquals(pd.get(name).toDoubleVector(), pf.get(name).toDoubleVector(), 2e-6, name);
        }
        assertArrayEquals(od.state().get(AdamW.EXP_AVG_SQ + "h.0.mlp.c_fc.weight").toDoubleVector(),
                of.state().get(AdamW.EXP_AVG_SQ + "h.0.mlp.c_fc.weight").toDoubleVector(), 1e-7);
    }

    @Test
    void firstStepByHand() {
        // t = 1: m̂ = g, v̂ = g², so p1 = p0 (1 - lr wd) - lr g / (|g| + eps)
        double[] p = run(0.1, n -> true, "h.0.mlp.c_fc.weight", 1);
        assertEquals(1.0 * (1 - 0.01 * 0.1) - 0.01 * 0.1 / (0.1 + 1e-8), p[0], 1e-15);
        assertEquals(0.989000001, p[0], 1e-12);  // 0.999 - 0.001 / 0.10000001
        assertEquals(-2.0 * 0.999 + 0.01 * 0.3 / (0.3 + 1e-8), p[1], 1e-15);
    }

    @Test
    void threeStepsWithAndWithoutDecay() {
        double[] p0 = {1.0, -2.0};
        assertArrayEquals(expected(p0, 0.1), run(0.1, n -> true, "w", 3), 1e-12);
        assertArrayEquals(expected(p0, 0.0), run(0.0, n -> true, "w", 3), 1e-12);
        assertArrayEquals(expected(p0, 0.0), run(0.1, n -> false, "w", 3), 1e-12);
        assertTrue(Math.abs(expected(p0, 0.1)[1] - expected(p0, 0.0)[1]) > 1e-4); // decay matters
    }

    @Test
    void biasesAreNotDecayedUnderTheGpt2Rule() {
        double[] p0 = {1.0, -2.0};
        Predicate<String> rule = AdamW.gpt2DecayRule(false);
        assertArrayEquals(expected(p0, 0.0), run(0.5, rule, "h.0.attn.c_attn.bias", 3), 1e-12);
        assertArrayEquals(expected(p0, 0.0), run(0.5, rule, "h.1.ln_1.weight", 3), 1e-12);
        assertArrayEquals(expected(p0, 0.5), run(0.5, rule, "h.0.attn.c_attn.weight", 3), 1e-12);
    }

    @Test
    void gpt2DecayRule() {
        Predicate<String> noEmb = AdamW.gpt2DecayRule(false);
        Predicate<String> emb = AdamW.gpt2DecayRule(true);
        for (String n : new String[] {"h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight", "h.11.mlp.c_fc.weight",
                "h.3.mlp.c_proj.weight", "score.weight"}) {
            assertTrue(noEmb.test(n), n);
            assertTrue(emb.test(n), n);
        }
        for (String n : new String[] {"h.0.attn.c_attn.bias", "h.0.mlp.c_proj.bias", "h.0.ln_1.weight", "h.0.ln_1.bias",
                "h.0.ln_2.weight", "ln_f.weight", "ln_f.bias", "score.bias", "transformer.ln_f.weight"}) {
            assertFalse(noEmb.test(n), n);
            assertFalse(emb.test(n), n);
        }
        assertFalse(noEmb.test("wte.weight"));
        assertFalse(noEmb.test("wpe.weight"));
        assertTrue(emb.test("wte.weight"));
        assertTrue(emb.test("transformer.wpe.weight"));
    }

    @Test
    void paramsWithoutGradsAreFrozen() {
        LinkedHashMap<String, INDArray> params = new LinkedHashMap<>();
        params.put("a", Nd4j.create(new double[] {1, 2}));
        params.put("b", Nd4j.create(new double[] {3, 4}));
        AdamW opt = new AdamW(B1, B2, EPS, 0.1, n -> true);
        opt.step(params, Map.of("a", Nd4j.create(new double[] {1, 1})), 0.1);
        assertArrayEquals(new double[] {3, 4}, params.get("b").toDoubleVector(), 0);
        assertFalse(opt.state().containsKey("exp_avg.b"));
        assertThrows(IllegalArgumentException.class,
                () -> opt.step(params, Map.of("a", Nd4j.create(new double[] {1, 1, 1})), 0.1));
    }

    @Test
    void saveLoadContinuesBitwise(@TempDir Path dir) throws Exception {
        Random rnd = new Random(7);
        LinkedHashMap<String, INDArray> a = new LinkedHashMap<>();
        a.put("wte.weight", randn(rnd, 5, 4));            // [vocab, n_embd]
        a.put("h.0.attn.c_attn.weight", randn(rnd, 4, 12)); // [n_embd, 3 n_embd]
        a.put("h.0.attn.c_attn.bias", randn(rnd, 12));      // [3 n_embd]
        LinkedHashMap<String, INDArray> b = copy(a);
        float[][][] grads = new float[6][][];
        for (int s = 0; s < grads.length; s++) {
            grads[s] = new float[][] {floats(rnd, 20), floats(rnd, 48), floats(rnd, 12)};
        }
        LrSchedule sched = new LrSchedule(1e-2, 1e-3, 2, 6);
        AdamW uninterrupted = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.gpt2DecayRule(false));
        for (int s = 0; s < 6; s++) {
            uninterrupted.step(a, gradMap(a, grads[s]), sched.lr(s));
        }

        AdamW first = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.gpt2DecayRule(false));
        for (int s = 0; s < 3; s++) {
            first.step(b, gradMap(b, grads[s]), sched.lr(s));
        }
        SafeTensors.write(dir.resolve("model.safetensors"), b, Map.of());
        SafeTensors.write(dir.resolve("optimizer.safetensors"), first.state(), Map.of());
        LinkedHashMap<String, INDArray> c = SafeTensors.read(dir.resolve("model.safetensors")).tensors();
        AdamW resumed = new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.gpt2DecayRule(false));
        resumed.load(SafeTensors.read(dir.resolve("optimizer.safetensors")).tensors());
        assertEquals(3, resumed.stepCount());
        for (int s = 3; s < 6; s++) {
            resumed.step(c, gradMap(c, grads[s]), sched.lr(s));
        }
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data().asFloat(), c.get(k).data().asFloat(), 0f, k);
        }
        LinkedHashMap<String, INDArray> sa = uninterrupted.state(), sc = resumed.state();
        assertEquals(sa.keySet(), sc.keySet());
        for (String k : sa.keySet()) {
            assertArrayEquals(sa.get(k).data().asDouble(), sc.get(k).data().asDouble(), 0, k);
        }
    }

    private static LinkedHashMap<String, INDArray> gradMap(Map<String, INDArray> params, float[][] g) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            out.put(e.getKey(), Nd4j.create(g[i++], e.getValue().shape(), 'c'));
        }
        return out;
    }

    private static LinkedHashMap<String, INDArray> copy(Map<String, INDArray> m) {
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    private static float[] floats(Random rnd, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) rnd.nextGaussian();
        }
        return f;
    }

    private static INDArray randn(Random rnd, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Nd4j.create(floats(rnd, (int) n), shape, 'c');
    }
}
