package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each operation of the kernel engine, forward and backward through its tape, against the same
 * expression built over {@link SameDiffOps} and differentiated by SameDiff (whose building blocks
 * are gradient-checked in DOUBLE, {@code BlocksGradientTest}). The expressions also reuse a value
 * (a residual, a tensor added to itself, one input feeding two operations), which exercises the
 * tape's accumulation of several contributions into one gradient.
 */
class KernelOpsTest {
    /** An expression over the operations, for any engine. */
    private interface Expr {
        <T> T apply(Ops<T> ops);
    }

    private static final int B = 2;
    private static final int T = 5;
    private static final GptSpec SPEC = new GptSpec(1, 2, 8, 8, 11);  // C = 8, two heads of 4
    /** Grouped-query attention: two query heads of 4 over one key/value head (q 8, k 4, v 4 columns). */
    private static final GptSpec GQA = SPEC.withKvHeads(1);
    /** Four query heads of 2 over two key/value heads (q 8, k 4, v 4 columns). */
    private static final GptSpec GQA4 = new GptSpec(1, 4, 8, 8, 11).withKvHeads(2);
    private static final int[] TARGETS = {3, 0, 10, 3, 7, 1, 1, 9, 4, 2};  // [B*T], repeats included

    private static LinkedHashMap<String, INDArray> inputs(long seed) {
        Random rng = new Random(seed);
        LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();
        m.put("x", randn(rng, B * T, 8));
        m.put("y", randn(rng, B * T, 8));
        m.put("qkv", randn(rng, B * T, 24));
        m.put("w", randn(rng, 8, 24).muli(0.4));
        m.put("b", randn(rng, 24));
        m.put("g", randn(rng, 8).addi(1));
        m.put("beta", randn(rng, 8));
        m.put("table", randn(rng, 11, 8));
        m.put("q", randn(rng, B * T, 8));
        m.put("w16", randn(rng, 8, 16).muli(0.4));
        m.put("b16", randn(rng, 16));
        return m;
    }

    private static INDArray randn(Random rng, long... shape) {
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c');
    }

    private static TokenBatch batch(boolean padded) {
        int[] valid = new int[B * T];
        int[] positions = new int[B * T];
        for (int i = 0; i < B * T; i++) {
            valid[i] = padded && i % T < 2 && i >= T ? 0 : 1;
            positions[i] = i % T;
        }
        return new TokenBatch(B, T, new int[B * T], positions, padded ? valid : null);
    }

    private record Result(INDArray out, Map<String, INDArray> grads) {}

    private static Result graph(GptSpec spec, Expr expr, Map<String, INDArray> params, TokenBatch tb,
                                INDArray readout) {
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> vars = new LinkedHashMap<>();
        SDVariable bias = sd.constant("bias", tb.attentionBias(DataType.FLOAT));
        Rotary rotary = new Rotary(spec);
        INDArray[] factors = rotary.factors(tb.positions(), spec.nHead(), DataType.FLOAT);   // [B*T, C] ×2
        SameDiffOps.RotaryInputs rope = new SameDiffOps.RotaryInputs(sd.constant("cos", factors[0]),
                sd.constant("sin", factors[1]), sd.constant("r", rotary.rotateHalf(spec.nHead(), DataType.FLOAT)));
        SDVariable out = expr.apply(new SameDiffOps(sd, name -> vars.computeIfAbsent(name,
                n -> sd.var(n, params.get(n).dup())), null, bias, B, T, spec, rope,
                sd.constant("onehot", LmTargets.oneHot(TARGETS, spec.vocabSize(), DataType.FLOAT))));
        out.rename("out");
        out.mul(sd.constant("readout", readout)).sum().rename("loss");
        sd.setLossVariables("loss");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), vars.keySet());
        return new Result(sd.output(Map.of(), "out").get("out"), grads);
    }

    private static Result kernels(GptSpec spec, Expr expr, Map<String, INDArray> params, TokenBatch tb,
                                  INDArray readout, Arena arena) {
        KernelOps ops = KernelOps.training(spec, params, arena, new Tape(PhaseTimes.OFF), tb,
                tb.attentionBias(DataType.FLOAT), new Rotary(spec), Engine.KERNELS.gemm());
        Tensor out = expr.apply(ops);
        INDArray value = out.value.dup();
        ops.seed(out, readout.reshape(-1).toFloatVector());
        ops.backward();
        Map<String, INDArray> grads = new LinkedHashMap<>();
        ops.paramGrads().forEach((k, v) -> grads.put(k, v.dup()));
        return new Result(value, grads);
    }

    private static void assertClose(String what, INDArray want, INDArray got) {
        assertEquals(List.of(want.shape().length), List.of(got.shape().length), what + " rank");
        double scale = want.amaxNumber().doubleValue() + 1e-6;
        double err = want.sub(got.reshape(want.shape())).amaxNumber().doubleValue();
        assertTrue(err <= 1e-4 * scale, what + ": max |kernels - graph| = " + err + ", max |graph| = " + scale);
    }

    private static void compare(String name, Expr expr, boolean padded) {
        compare(name, SPEC, expr, padded);
    }

    private static void compare(String name, GptSpec spec, Expr expr, boolean padded) {
        LinkedHashMap<String, INDArray> params = inputs(name.hashCode());
        TokenBatch tb = batch(padded);
        KernelOps probe = KernelOps.training(spec, params, new Arena(), null, tb, tb.attentionBias(DataType.FLOAT),
                new Rotary(spec), Engine.KERNELS.gemm());
        INDArray readout = randn(new Random(42), expr.apply(probe).value.shape());  // loss = Σ out·R
        Result want = graph(spec, expr, params, tb, readout);
        Arena arena = new Arena();
        for (int pass = 0; pass < 2; pass++) { // the second pass reuses every arena buffer
            Result got = kernels(spec, expr, params, tb, readout, arena);
            String at = name + " (pass " + pass + ")";
            assertClose(at + " output", want.out(), got.out());
            assertEquals(want.grads().keySet(), got.grads().keySet(), at + ": gradient names");
            for (String k : got.grads().keySet()) {
                assertClose(at + " d " + k, want.grads().get(k), got.grads().get(k));
            }
        }
    }

    @Test
    void linear() {
        compare("linear", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.linear(o.param("x"), o.param("w"), o.param("b"));
            }
        }, false);
    }

    @Test
    void layerNorm() {
        compare("layer norm", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.layerNorm(o.param("x"), o.param("g"), o.param("beta"), 0.0);
            }
        }, false);
    }

    @Test
    void layerNormWithEpsilon() {
        compare("layer norm, eps 1e-5", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.layerNorm(o.param("x"), o.param("g"), o.param("beta"), 1e-5);
            }
        }, false);
    }

    @Test
    void geluTanhOfALinearAndItsInput() {
        compare("gelu tanh", new Expr() {
            public <T> T apply(Ops<T> o) {
                T h = o.linear(o.param("x"), o.param("w"), o.param("b"));
                return o.add(o.geluTanh(h), h);
            }
        }, false);
    }

    @Test
    void rmsNormFeedingAResidual() {
        compare("rms norm", new Expr() {
            public <T> T apply(Ops<T> o) {
                T x = o.param("x");
                return o.add(x, o.rmsNorm(x, o.param("g")));
            }
        }, false);
    }

    @Test
    void rotaryThenAttention() {
        compare("rotary", new Expr() {
            public <T> T apply(Ops<T> o) {
                T q = o.param("q");
                return o.add(o.rotary(q, 2), q);
            }
        }, false);
        compare("rotary + attention", new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> qkv = o.split(o.linear(o.param("x"), o.param("w"), o.param("b")), 8, 8, 8);
                return o.causalAttention(0, o.rotary(qkv.get(0), 2), o.rotary(qkv.get(1), 2), qkv.get(2));
            }
        }, true);
    }

    /** Grouped-query attention with rotary queries and keys (their own head counts), with and without padding. */
    @Test
    void groupedQueryAttention() {
        Expr expr = new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> qkv = o.split(o.linear(o.param("x"), o.param("w16"), o.param("b16")), 8, 4, 4);
                return o.causalAttention(0, qkv.get(0), qkv.get(1), qkv.get(2));
            }
        };
        Expr rotated = new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> qkv = o.split(o.linear(o.param("x"), o.param("w16"), null), 8, 4, 4);
                return o.causalAttention(0, o.rotary(qkv.get(0), 4), o.rotary(qkv.get(1), 2), qkv.get(2));
            }
        };
        compare("gqa 2 over 1", GQA, expr, false);
        compare("gqa 2 over 1, padded", GQA, expr, true);
        compare("gqa 4 over 2, padded", GQA4, expr, true);
        compare("gqa 4 over 2, rotary", GQA4, rotated, true);
    }

    /**
     * One tensor split twice, some parts unused (their gradient is zero) and one used twice: the split's
     * backward writes, then adds.
     */
    @Test
    void splitWithUnusedAndRepeatedParts() {
        compare("split", new Expr() {
            public <T> T apply(Ops<T> o) {
                T h = o.linear(o.param("x"), o.param("w"), o.param("b"));
                List<T> a = o.split(h, 8, 16);
                List<T> b = o.split(h, 16, 8);
                return o.add(o.add(a.get(0), b.get(1)), a.get(0));
            }
        }, false);
    }

    @Test
    void swigluOfASplitLinear() {
        compare("swiglu", new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> gateUp = o.split(o.linear(o.param("x"), o.param("w"), o.param("b")), 12, 12);
                return o.swiglu(gateUp.get(0), gateUp.get(1));
            }
        }, false);
        compare("swiglu of one tensor twice", new Expr() {
            public <T> T apply(Ops<T> o) {
                T x = o.param("x");
                return o.add(o.swiglu(x, x), x);
            }
        }, false);
    }

    @Test
    void linearWithoutBias() {
        compare("linear, no bias", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.linear(o.param("x"), o.param("w"), null);
            }
        }, false);
    }

    @Test
    void geluOfALinearAndItsInput() {
        compare("gelu", new Expr() {
            public <T> T apply(Ops<T> o) {
                T h = o.linear(o.param("x"), o.param("w"), o.param("b"));
                return o.add(o.gelu(h), h);                       // h feeds gelu and the sum
            }
        }, false);
    }

    @Test
    void residualsAndATensorAddedToItself() {
        compare("add", new Expr() {
            public <T> T apply(Ops<T> o) {
                T x = o.param("x");
                T s = o.add(x, o.layerNorm(x, o.param("g"), o.param("beta"), 0.0));
                return o.add(o.add(s, s), o.param("y"));
            }
        }, false);
    }

    @Test
    void attention() {
        Expr expr = new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> qkv = o.split(o.param("qkv"), 8, 8, 8);
                return o.causalAttention(0, qkv.get(0), qkv.get(1), qkv.get(2));
            }
        };
        compare("attention", expr, false);
        compare("attention with padding", expr, true);
    }

    @Test
    void logitsAtATemperature() {
        compare("logits", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.logits(o.param("x"), o.param("table"), 1 / 0.7);
            }
        }, false);
    }

    @Test
    void tokenLogProbs() {
        compare("token log-probabilities", new Expr() {
            public <T> T apply(Ops<T> o) {
                return o.tokenLogProbs(o.logits(o.param("x"), o.param("table"), 1.0), TARGETS);
            }
        }, false);
    }

    /** Log-probabilities and entropy of one set of logits: two contributions to d logits. */
    @Test
    void entropyAndLogProbsOfTheSameLogits() {
        compare("entropy + log-probabilities", new Expr() {
            public <T> T apply(Ops<T> o) {
                T z = o.logits(o.param("x"), o.param("table"), 1 / 0.7);
                return o.add(o.tokenLogProbs(z, TARGETS), o.entropy(z));
            }
        }, false);
    }

    @Test
    void attentionInputUsedTwice() {
        compare("attention + linear", new Expr() {
            public <T> T apply(Ops<T> o) {
                List<T> qkv = o.split(o.linear(o.param("x"), o.param("w"), o.param("b")), 8, 8, 8);
                T other = o.causalAttention(0, qkv.get(0), qkv.get(1), qkv.get(2));
                return o.add(o.causalAttention(0, qkv.get(0), qkv.get(1), qkv.get(2)), other);
            }
        }, true);
    }

    @Test
    void aForwardOnlyPassHasNoBackward() {
        LinkedHashMap<String, INDArray> params = inputs(1);
        TokenBatch tb = batch(false);
        KernelOps ops = KernelOps.training(SPEC, params, new Arena(), null, tb, tb.attentionBias(DataType.FLOAT),
                new Rotary(SPEC), Engine.KERNELS.gemm());
        Tensor out = ops.gelu(ops.param("x"));
        assertThrows(IllegalStateException.class, () -> ops.seed(out, new float[out.length()]));
        assertThrows(IllegalStateException.class, ops::backward);
    }
}
