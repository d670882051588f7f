package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.nn.Matmuls;
import rlhf4j.nn.Precision;

/**
 * One definition on both engines: the kernels and their tape ({@link Engine#KERNELS}) against the SameDiff graph ({@link
 * Engine#GRAPH}, gradient-checked in DOUBLE) in FLOAT, heads included: same loss, logits, token
 * log-probabilities, entropies, values and every gradient, through every stage's loss, on shapes that exercise the vector loops and their scalar tails (C and T below,
 * at and above the SIMD width), one and several heads, padding and repeated tokens, and repeated
 * steps that reuse the trunk's buffers.
 */
class EngineEquivalenceTest {
    private static Gpt pair(GptSpec spec, long seed, Engine engine) {
        Gpt reference = Gpt.create(spec, DataType.FLOAT, seed, 0.3);
        LinkedHashMap<String, INDArray> copy = new LinkedHashMap<>();
        reference.params().forEach((name, p) -> copy.put(name, p.dup()));
        Gpt gpt = new Gpt(spec, copy);
        gpt.setEngine(engine);
        return gpt;
    }

    private static TokenBatch batch(GptSpec spec, int b, int t, boolean padded, Random rng) {
        int[] tokens = new int[b * t];
        int[] positions = new int[b * t];
        int[] valid = new int[b * t];
        for (int i = 0; i < b; i++) {
            int pad = padded ? i % Math.max(1, t / 2) : 0;
            for (int j = 0; j < t; j++) {
                boolean real = j >= pad;
                tokens[i * t + j] = real ? rng.nextInt(Math.min(4, spec.vocabSize())) : 0; // few tokens: repeats
                positions[i * t + j] = real ? j - pad : 0;
                valid[i * t + j] = real ? 1 : 0;
            }
        }
        return new TokenBatch(b, t, tokens, positions, padded ? valid : null);
    }

    /** Asserts max |got - want| ≤ rtol · max |want| and returns that relative difference. */
    private static double assertClose(String what, INDArray want, INDArray got, double rtol) {
        assertEquals(List.of(want.shape().length), List.of(got.shape().length), what + " rank");
        double scale = want.castTo(DataType.DOUBLE).amaxNumber().doubleValue() + 1e-6;
        double err = want.castTo(DataType.DOUBLE).sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(err <= rtol * scale, what + ": max |kernels - graph| = " + err + ", max |graph| = " + scale);
        return err / scale;
    }

    private static Function<HeadOutputs, Loss> lm(double[] mask) {
        double[] weight = Losses.meanWeights(mask);
        return out -> Losses.lm(out.logp(), weight);
    }

    private static void assertClose(String what, double[] want, double[] got, double rtol) {
        assertClose(what, Nd4j.createFromArray(want), Nd4j.createFromArray(got), rtol);
    }

    private static void compare(GptSpec spec, int b, int t, boolean padded) {
        compare(spec, b, t, padded, Engine.KERNELS, 1e-4, 2e-4);
    }

    /**
     * The kernels on {@code engine} against the FLOAT graph: loss, logits and log-probabilities within {@code
     * outputTol}, every gradient within {@code gradTol}, of the largest graph value; returns the largest relative
     * difference seen.
     */
    private static double compare(GptSpec spec, int b, int t, boolean padded, Engine engine, double outputTol,
                                  double gradTol) {
        Random rng = new Random(spec.nEmbd() * 31L + t);
        Gpt graph = pair(spec, 5, Engine.GRAPH);
        Gpt kernels = pair(spec, 5, engine);
        assertEquals(engine, kernels.engine());
        double worst = 0;
        TokenBatch tb = batch(spec, b, t, padded, rng);
        int[] targets = new int[b * t];
        double[] mask = new double[b * t];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(spec.vocabSize());
            mask[i] = tb.keyValid() == null || tb.keyValid()[i] == 1 ? 1 : 0;
        }
        HeadRequest request = HeadRequest.lm(targets).withLogits();
        Gpt.Step want = graph.forwardBackward(request, tb, lm(mask));
        for (int step = 0; step < 2; step++) {
            Gpt.Step got = kernels.forwardBackward(request, tb, lm(mask));
            String at = spec + " B=" + b + " T=" + t + (padded ? " padded" : "") + " step " + step;
            assertEquals(want.loss().value(), got.loss().value(),
                    outputTol / 10 * Math.max(1, Math.abs(want.loss().value())), at + " loss");
            worst = Math.max(worst, assertClose(at + " logits", want.outputs().logits(), got.outputs().logits(),
                    outputTol));
            assertClose(at + " token logp", want.outputs().logp(), got.outputs().logp(), outputTol);
            assertEquals(want.grads().keySet(), got.grads().keySet(), at + " gradient names");
            List<String> wantOrder = List.copyOf(want.grads().keySet());
            assertEquals(wantOrder, List.copyOf(got.grads().keySet()), at + " gradient order");
            for (String name : want.grads().keySet()) {
                worst = Math.max(worst, assertClose(at + " d " + name, want.grads().get(name), got.grads().get(name),
                        gradTol));
            }
        }
        HeadOutputs a = graph.forward(request, tb);
        HeadOutputs k = kernels.forward(request, tb);
        assertClose(spec + " forward logits", a.logits(), k.logits(), outputTol);
        assertClose(spec + " forward logp", a.logp(), k.logp(), outputTol);
        return worst;
    }

    /**
     * BF16 products ({@link Engine#KERNELS_BF16}) against the FP32 graph, forward and backward through whole GPT-2,
     * Llama and Qwen2 models: each product's inputs are rounded to 8 significant bits (relative error 2^-9, so
     * about 0.4% per product), and the layers compound it; the bound is 3% of the largest value for outputs and 6%
     * for gradients. The difference must also be well above FP32's, or the products were not BF16.
     */
    @Test
    void bf16KernelsFollowTheGraphWithinBf16Rounding() {
        Assumptions.assumeTrue(Matmuls.effective(Precision.BF16) == Precision.BF16, "no BF16 instructions here");
        double worst = 0;
        worst = Math.max(worst, compare(new GptSpec(2, 2, 32, 12, 23), 3, 11, true, Engine.KERNELS_BF16, 3e-2, 6e-2));
        worst = Math.max(worst, compare(ArchitectureTest.llama(2, 4, 32, 12, 23, 40), 3, 11, true,
                Engine.KERNELS_BF16, 3e-2, 6e-2));
        worst = Math.max(worst, compare(ArchitectureTest.qwen2(2, 4, 32, 12, 23, 48), 2, 9, false,
                Engine.KERNELS_BF16, 3e-2, 6e-2));
        assertTrue(worst > 1e-3, "BF16 kernels within " + worst + " of the graph: as close as FP32");
    }

    /** Any request and loss: the same outputs and gradients from both engines (score head parameters included). */
    private static void compareObjective(String what, GptSpec spec, HeadRequest request, TokenBatch tb,
                                         Function<HeadOutputs, Loss> objective) {
        Gpt graph = pair(spec, 9, Engine.GRAPH);
        Gpt kernels = pair(spec, 9, Engine.KERNELS);
        GptInit.addScoreHead(graph.params(), spec, DataType.FLOAT, 4, true);
        GptInit.addScoreHead(kernels.params(), spec, DataType.FLOAT, 4, true);
        Gpt.Step want = graph.forwardBackward(request, tb, objective);
        Gpt.Step got = kernels.forwardBackward(request, tb, objective);
        assertEquals(want.loss().value(), got.loss().value(), 1e-5 * Math.max(1, Math.abs(want.loss().value())),
                what + " loss");
        if (request.targets() != null) {
            assertClose(what + " logp", want.outputs().logp(), got.outputs().logp(), 1e-4);
        }
        if (request.entropy()) {
            assertClose(what + " entropy", want.outputs().entropy(), got.outputs().entropy(), 1e-4);
        }
        if (request.values()) {
            assertClose(what + " values", want.outputs().values(), got.outputs().values(), 1e-4);
        }
        assertEquals(List.copyOf(want.grads().keySet()), List.copyOf(got.grads().keySet()), what + " gradients");
        for (String name : want.grads().keySet()) {
            assertClose(what + " d " + name, want.grads().get(name), got.grads().get(name), 2e-4);
        }
        HeadOutputs a = graph.forward(request, tb);
        HeadOutputs k = kernels.forward(request, tb);
        if (request.targets() != null) {
            assertClose(what + " forward logp", a.logp(), k.logp(), 1e-5);
        }
        if (request.values()) {
            assertClose(what + " forward values", a.values(), k.values(), 1e-5);
        }
    }

    /**
     * One kernel model through batches whose length changes from step to step (as SFT's and PPO's do):
     * the arena's buffers, sized by the longest, serve the shorter ones, and every step still matches the
     * graph.
     */
    @Test
    void lengthsThatChangeBetweenSteps() {
        GptSpec spec = new GptSpec(2, 2, 16, 16, 13);
        Gpt kernels = pair(spec, 5, Engine.KERNELS);
        Gpt graph = pair(spec, 5, Engine.GRAPH);
        Random rng = new Random(8);
        for (int t : new int[] {9, 4, 16, 6, 9}) {
            TokenBatch tb = batch(spec, 3, t, true, rng);
            int[] targets = new int[3 * t];
            double[] mask = new double[3 * t];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = rng.nextInt(spec.vocabSize());
                mask[i] = tb.keyValid()[i];
            }
            HeadRequest request = HeadRequest.lm(targets).withLogits();
            Gpt.Step want = graph.forwardBackward(request, tb, lm(mask));
            Gpt.Step got = kernels.forwardBackward(request, tb, lm(mask));
            assertClose("T=" + t + " logits", want.outputs().logits(), got.outputs().logits(), 1e-4);
            for (String name : want.grads().keySet()) {
                assertClose("T=" + t + " d " + name, want.grads().get(name), got.grads().get(name), 2e-4);
            }
        }
    }

    /** After releaseBuffers a model makes its buffers again and computes the same bits, on either engine. */
    @Test
    void releasedBuffersAreMadeAgain() {
        GptSpec spec = new GptSpec(2, 2, 16, 16, 13);
        for (Engine engine : Engine.values()) {
            Gpt gpt = pair(spec, 6, engine);
            TokenBatch tb = batch(spec, 3, 9, true, new Random(9));
            int[] targets = new int[3 * 9];
            double[] mask = new double[3 * 9];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = (i * 7) % spec.vocabSize();
                mask[i] = tb.keyValid()[i];
            }
            HeadRequest request = HeadRequest.lm(targets).withLogits();
            Gpt.Step before = gpt.forwardBackward(request, tb, lm(mask));
            INDArray logits = before.outputs().logits().dup();    // [B*T, V], copied out of the buffers released next
            Map<String, INDArray> grads = new LinkedHashMap<>();
            before.grads().forEach((name, g) -> grads.put(name, g.dup()));
            gpt.releaseBuffers();
            Gpt.Step after = gpt.forwardBackward(request, tb, lm(mask));
            assertEquals(logits, after.outputs().logits(), engine + " logits");
            grads.forEach((name, g) -> assertEquals(g, after.grads().get(name), engine + " d " + name));
        }
    }

    /** RMSNorm and rotary positions run by the kernels' tape as by the graph, padded, at and off the vector width. */
    @Test
    void rmsNormAndRotary() {
        compare(new GptSpec(2, 2, 32, 12, 23, Norm.RMSNORM, Position.ROPE), 3, 11, true);
        compare(new GptSpec(1, 3, 18, 8, 9, Norm.RMSNORM, Position.ROPE), 2, 7, false);
        compare(new GptSpec(1, 2, 16, 8, 9, Norm.LAYERNORM, Position.ROPE), 2, 8, true);
        compare(new GptSpec(1, 2, 16, 8, 9, Norm.RMSNORM, Position.LEARNED), 2, 8, true);
        compare(new GptSpec(2, 2, 32, 12, 23, Norm.LAYERNORM, Position.LEARNED, Activation.GELU_NEW, 1e-5), 3, 11, true);
    }

    /**
     * A LLaMA-shaped model (RMSNorm, θ = 500000, SwiGLU, Hkv = H/2, no biases, untied head) and a Qwen2-shaped one
     * (one key/value head, q/k/v biases): logits, log-probabilities and every gradient, padded, at and off the vector
     * width; then the scalar head's and the policy's objectives on the LLaMA shape.
     */
    @Test
    void llamaAndQwen2Shapes() {
        compare(ArchitectureTest.llama(2, 4, 32, 12, 23, 40), 3, 11, true);
        compare(ArchitectureTest.llama(1, 6, 36, 10, 17, 20), 2, 9, false);
        compare(ArchitectureTest.qwen2(2, 4, 32, 12, 23, 48), 3, 11, true);
        GptSpec spec = ArchitectureTest.llama(2, 4, 24, 9, 17, 32);
        Random rng = new Random(4);
        TokenBatch tb = batch(spec, 3, 9, true, rng);
        int n = 3 * 9;
        double[] old = new double[n];
        double[] adv = new double[n];
        double[] mask = new double[n];
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            old[i] = rng.nextDouble() - 2.5;
            adv[i] = rng.nextGaussian();
            mask[i] = tb.keyValid()[i];
            targets[i] = rng.nextInt(spec.vocabSize());
        }
        double[] weight = Losses.meanWeights(mask);
        compareObjective("llama value", spec, HeadRequest.scalar(), tb,
                out -> Losses.clippedValue(out.values(), old, adv, weight, 0.2, 0.5));
        compareObjective("llama policy", spec, HeadRequest.policy(targets, 0.7, true), tb,
                out -> Losses.ppoPolicy(out.logp(), out.entropy(), old, adv, weight, 0.2, 0.05));
    }

    /** Every stage's loss on both engines: the ranking loss, PPO's clipped surrogate with entropy, the clipped value loss. */
    @Test
    void rewardPolicyAndValueObjectives() {
        GptSpec spec = new GptSpec(2, 2, 24, 9, 17);
        Random rng = new Random(3);
        TokenBatch tb = batch(spec, 4, 9, true, rng);
        int n = 4 * 9;
        List<Losses.Comparison> pairs = List.of(new Losses.Comparison(0, 1, 1 / 6.0, 0.5),
                new Losses.Comparison(0, 2, 1 / 6.0, 0), new Losses.Comparison(1, 2, 1 / 6.0, 0)); // row 3 alone
        compareObjective("ranking", spec, HeadRequest.scalar(), tb, out -> {
            Losses.ScoreLoss r = Losses.ranking(LastToken.scores(out.values(), tb), pairs);
            return Loss.ofValues(r.value(), LastToken.spread(r.dScores(), tb));
        });
        double[] old = new double[n];
        double[] ret = new double[n];
        double[] adv = new double[n];
        double[] mask = new double[n];
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            old[i] = rng.nextDouble() - 0.5;
            ret[i] = rng.nextDouble();
            adv[i] = rng.nextGaussian();
            mask[i] = tb.keyValid()[i];
            targets[i] = rng.nextInt(spec.vocabSize());
        }
        double[] weight = Losses.meanWeights(mask);
        compareObjective("value", spec, HeadRequest.scalar(), tb,
                out -> Losses.clippedValue(out.values(), old, ret, weight, 0.2, 0.5));
        // old log-probabilities near the current ones: some ratios inside the clip range, some outside
        Gpt probe = pair(spec, 9, Engine.GRAPH);
        double[] logp = probe.forward(HeadRequest.policy(targets, 0.7, false), tb).logp();
        double[] oldLogp = new double[n];
        for (int i = 0; i < n; i++) {
            oldLogp[i] = logp[i] + 0.4 * rng.nextGaussian();
        }
        compareObjective("policy", spec, HeadRequest.policy(targets, 0.7, true), tb,
                out -> Losses.ppoPolicy(out.logp(), out.entropy(), oldLogp, adv, weight, 0.2, 0.05));
    }

    @Test
    void tinyShapesAllScalarTails() {
        compare(new GptSpec(2, 2, 8, 6, 11), 2, 5, true);
        compare(new GptSpec(1, 1, 6, 4, 7), 3, 4, false);
    }

    @Test
    void vectorWidthsWithTails() {
        compare(new GptSpec(2, 4, 32, 20, 37), 2, 19, false);
        compare(new GptSpec(2, 4, 40, 20, 29), 3, 17, true);
        compare(new GptSpec(1, 2, 64, 33, 50), 2, 33, true);
    }

    @Test
    void layerNormAndGeluMatchTheNativeOps() {
        // the graph's ops are the native ones; the whole-model comparison above covers them, this
        // pins the hidden state at a width of typical models
        compare(new GptSpec(1, 4, 128, 16, 64), 2, 16, false);
    }
}
