package rlhf4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.model.TokenBatch;

/**
 * Central-difference gradient checks in DOUBLE for every building block. Each block's output is
 * reduced to a scalar with fixed random weights, so every output element's gradient matters.
 */
class BlocksGradientTest {
    private static final Random RNG = new Random(7);

    private static INDArray randn(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = RNG.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape(shape).dup('c');
    }

    /** Builds block(sd, vars) on variables wrapping {@code params}, adds loss = Σ out·R and checks it. */
    private static void assertGradientsRight(LinkedHashMap<String, INDArray> params, Map<String, INDArray> constants,
                                             BiFunction<SameDiff, Map<String, SDVariable>, SDVariable> block) {
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> vars = new HashMap<>();
        params.forEach((name, arr) -> vars.put(name, sd.var(name, arr)));
        constants.forEach((name, arr) -> vars.put(name, sd.constant(name, arr)));
        SDVariable out = block.apply(sd, vars);
        INDArray r = randn(out.eval().shape());
        out.mul(sd.constant("readout", r)).sum().rename("loss");
        sd.setLossVariables("loss");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), params.keySet());
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(params, grads,
                () -> sd.output(Map.of(), "loss").get("loss").getDouble(0));
        assertTrue(bad.isEmpty(), "gradient mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }

    private static LinkedHashMap<String, INDArray> params(Object... nameAndArray) {
        LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndArray.length; i += 2) {
            m.put((String) nameAndArray[i], (INDArray) nameAndArray[i + 1]);
        }
        return m;
    }

    @Test
    void linear() {
        assertGradientsRight(params("x", randn(5, 3), "w", randn(3, 4), "b", randn(4)), Map.of(),
                (sd, v) -> Blocks.linear(sd, v.get("x"), v.get("w"), v.get("b")));
    }

    @Test
    void layerNorm() {
        assertGradientsRight(params("x", randn(6, 8), "g", randn(8), "b", randn(8)), Map.of(),
                (sd, v) -> Blocks.layerNorm(sd, v.get("x"), v.get("g"), v.get("b"), 0.0));
    }

    /** With an epsilon (GPT-2's layer_norm_epsilon) LayerNorm is written out from mean, square and sqrt. */
    @Test
    void layerNormWithEpsilon() {
        assertGradientsRight(params("x", randn(6, 8).muli(0.05), "g", randn(8), "b", randn(8)), Map.of(),
                (sd, v) -> Blocks.layerNorm(sd, v.get("x"), v.get("g"), v.get("b"), 1e-3));
    }

    @Test
    void geluTanh() {
        assertGradientsRight(params("x", randn(4, 7).muli(2)), Map.of(), (sd, v) -> Blocks.geluTanh(sd, v.get("x")));
    }

    @Test
    void geluTanhIsGpt2sGeluNew() {
        SameDiff sd = SameDiff.create();
        INDArray y = Blocks.geluTanh(sd, sd.constant("x", Nd4j.createFromArray(1.0, -0.5, 3.0))).eval();
        double k = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < 3; i++) {
            double x = new double[] {1.0, -0.5, 3.0}[i];
            assertEquals(0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x))), y.getDouble(i), 1e-12);
        }
    }

    @Test
    void gelu() {
        assertGradientsRight(params("x", randn(4, 7).muli(2)), Map.of(), (sd, v) -> Blocks.gelu(sd, v.get("x")));
    }

    @Test
    void geluIsTheSigmoidForm() {
        SameDiff sd = SameDiff.create();
        INDArray y = Blocks.gelu(sd, sd.constant("x", Nd4j.createFromArray(1.0, -0.5))).eval();
        assertEquals(1.0 / (1 + Math.exp(-1.702)), y.getDouble(0), 1e-8);
        assertEquals(-0.5 / (1 + Math.exp(0.851)), y.getDouble(1), 1e-8);
    }

    @Test
    void mlp() {
        assertGradientsRight(params("x", randn(5, 4), "wf", randn(4, 16).muli(0.5), "bf", randn(16),
                        "wp", randn(16, 4).muli(0.5), "bp", randn(4)), Map.of(),
                (sd, v) -> Blocks.mlp(sd, v.get("x"), v.get("wf"), v.get("bf"), v.get("wp"), v.get("bp")));
    }

    /** Fused q, k, v [N, (H + 2·Hkv)·D] cut into its three parts, then attention: the model's layout. */
    private static SDVariable attention(SameDiff sd, Map<String, SDVariable> v, int b, int t, int h, int hkv, int d) {
        SDVariable[] qkv = Blocks.splitColumns(sd, Blocks.linear(sd, v.get("x"), v.get("wq"), v.get("bq")), b * t,
                h * d, hkv * d, hkv * d);
        return Blocks.linear(sd, Blocks.causalAttention(sd, qkv[0], qkv[1], qkv[2], v.get("bias"), b, t, h, hkv, d),
                v.get("wp"), v.get("bp"));
    }

    @Test
    void causalSelfAttention() {
        int b = 2, t = 5, c = 8, h = 2;
        INDArray bias = TokenBatch.causal(new int[b][t]).attentionBias(DataType.DOUBLE);
        assertGradientsRight(params("x", randn(b * t, c), "wq", randn(c, 3 * c).muli(0.5), "bq", randn(3 * c),
                        "wp", randn(c, c).muli(0.5), "bp", randn(c)), Map.of("bias", bias),
                (sd, v) -> attention(sd, v, b, t, h, h, c / h));
    }

    @Test
    void causalSelfAttentionWithPadding() {
        int b = 2, t = 4, c = 4, h = 2;
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1};
        INDArray bias = new TokenBatch(b, t, new int[b * t], new int[b * t], valid).attentionBias(DataType.DOUBLE);
        assertGradientsRight(params("x", randn(b * t, c), "wq", randn(c, 3 * c).muli(0.5), "bq", randn(3 * c),
                        "wp", randn(c, c).muli(0.5), "bp", randn(c)), Map.of("bias", bias),
                (sd, v) -> attention(sd, v, b, t, h, h, c / h));
    }

    /** Grouped-query attention: four query heads over two key/value heads, and over one, with padding. */
    @Test
    void groupedQueryAttention() {
        int b = 2, t = 4, h = 4, d = 2, c = h * d;
        int[] valid = {0, 1, 1, 1, 1, 1, 1, 1};
        INDArray bias = new TokenBatch(b, t, new int[b * t], new int[b * t], valid).attentionBias(DataType.DOUBLE);
        for (int hkv : new int[] {2, 1}) {
            int width = c + 2 * hkv * d;
            assertGradientsRight(params("x", randn(b * t, c), "wq", randn(c, width).muli(0.5), "bq", randn(width),
                            "wp", randn(c, c).muli(0.5), "bp", randn(c)), Map.of("bias", bias),
                    (sd, v) -> attention(sd, v, b, t, h, hkv, d));
        }
    }

    /** Unequal parts, one of them unused (its gradient is zero) and one used twice. */
    @Test
    void splitColumns() {
        assertGradientsRight(params("x", randn(4, 9)), Map.of(), (sd, v) -> {
            SDVariable[] parts = Blocks.splitColumns(sd, v.get("x"), 4, 2, 3, 4);
            return sd.concat(1, parts[0].mul(parts[0]), parts[2]);
        });
    }

    @Test
    void swiglu() {
        assertGradientsRight(params("g", randn(4, 6).muli(2), "u", randn(4, 6)), Map.of(),
                (sd, v) -> Blocks.swiglu(sd, v.get("g"), v.get("u")));
    }

    @Test
    void swigluMatchesItsDefinition() {
        SameDiff sd = SameDiff.create();
        INDArray y = Blocks.swiglu(sd, sd.constant("g", Nd4j.createFromArray(1.5, -0.5)),
                sd.constant("u", Nd4j.createFromArray(2.0, 3.0))).eval();
        assertEquals(1.5 / (1 + Math.exp(-1.5)) * 2.0, y.getDouble(0), 1e-12);
        assertEquals(-0.5 / (1 + Math.exp(0.5)) * 3.0, y.getDouble(1), 1e-12);
    }

    @Test
    void linearWithoutBias() {
        assertGradientsRight(params("x", randn(3, 4), "w", randn(4, 5)), Map.of(),
                (sd, v) -> Blocks.linear(sd, v.get("x"), v.get("w"), null));
    }

    @Test
    void rmsNorm() {
        assertGradientsRight(params("x", randn(5, 6), "g", randn(6)), Map.of(),
                (sd, v) -> Blocks.rmsNorm(sd, v.get("x"), v.get("g"), 1e-6));
    }

    @Test
    void rotary() {
        int n = 4, stride = 12;  // three heads of 4
        INDArray cos = randn(n, stride);
        INDArray sin = randn(n, stride);
        INDArray r = randn(stride, stride);
        assertGradientsRight(params("qkv", randn(n, stride)), Map.of("cos", cos, "sin", sin, "r", r),
                (sd, v) -> Blocks.rotary(sd, v.get("qkv"), v.get("cos"), v.get("sin"), v.get("r")));
    }

    /** The log-probabilities of the targets, weighted and summed as the LM loss weighs them (masked rows weigh 0). */
    @Test
    void targetLogProbsWithMask() {
        INDArray onehot = Nd4j.zeros(DataType.DOUBLE, 4, 6);
        int[] targets = {2, 2, 5, 0};
        for (int i = 0; i < 4; i++) {
            onehot.putScalar(i, targets[i], 1.0);
        }
        INDArray weights = Nd4j.createFromArray(0.5, 0.0, 0.5, 0.0);
        assertGradientsRight(params("logits", randn(4, 6)), Map.of("onehot", onehot, "w", weights),
                (sd, v) -> Blocks.targetLogProbs(sd, v.get("logits"), v.get("onehot")).mul(v.get("w")).sum().neg());
    }

    @Test
    void entropy() {
        assertGradientsRight(params("logits", randn(3, 5)), Map.of(), (sd, v) -> Blocks.entropy(sd, v.get("logits")));
    }

    @Test
    void targetLogProbsMatchHandComputedValues() {
        SameDiff sd = SameDiff.create();
        INDArray logits = Nd4j.createFromArray(new double[][] {{0, Math.log(3)}, {Math.log(2), 0}});
        INDArray onehot = Nd4j.createFromArray(new double[][] {{0, 1}, {0, 1}});
        INDArray w = Nd4j.createFromArray(0.5, 0.5);
        double loss = Blocks.targetLogProbs(sd, sd.constant("l", logits), sd.constant("o", onehot))
                .mul(sd.constant("w", w)).sum().neg().eval().getDouble(0);
        // p(1|row0) = 3/4, p(1|row1) = 1/3
        assertEquals(-0.5 * (Math.log(0.75) + Math.log(1.0 / 3)), loss, 1e-12);
    }
}
