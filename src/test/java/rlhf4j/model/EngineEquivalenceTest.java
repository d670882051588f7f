package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One definition on both engines: the kernels and their tape ({@link Gpt.Engine#KERNELS}) against the SameDiff graph ({@link
 * Gpt.Engine#GRAPH}, gradient-checked in DOUBLE) in FLOAT — with the LM loss head by kernels too
 * ({@link KernelLmHead}) and other heads as graphs: same loss, logits, token log-probabilities,
 * hidden state and every gradient, on shapes that exercise the vector loops and their scalar tails (C and T below,
 * at and above the SIMD width), one and several heads, padding and repeated tokens, and repeated
 * steps that reuse the trunk's buffers.
 */
class EngineEquivalenceTest {
    private static Gpt pair(GptSpec spec, long seed, Gpt.Engine engine) {
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

    private static void assertClose(String what, INDArray want, INDArray got, double rtol) {
        assertEquals(List.of(want.shape().length), List.of(got.shape().length), what + " rank");
        double scale = want.castTo(DataType.DOUBLE).amaxNumber().doubleValue() + 1e-6;
        double err = want.castTo(DataType.DOUBLE).sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(err <= rtol * scale, what + ": max |kernels - graph| = " + err + ", max |graph| = " + scale);
    }

    private static void compare(GptSpec spec, int b, int t, boolean padded) {
        Random rng = new Random(spec.nEmbd() * 31L + t);
        Gpt graph = pair(spec, 5, Gpt.Engine.GRAPH);
        Gpt kernels = pair(spec, 5, Gpt.Engine.KERNELS);
        assertEquals(Gpt.Engine.KERNELS, kernels.engine());
        TokenBatch tb = batch(spec, b, t, padded, rng);
        int[] targets = new int[b * t];
        double[] mask = new double[b * t];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(spec.vocabSize());
            mask[i] = tb.keyValid() == null || tb.keyValid()[i] == 1 ? 1 : 0;
        }
        Map<String, INDArray> feed = LmTargets.of(targets, mask, spec.vocabSize(), DataType.FLOAT);
        LmHead head = new LmHead(true);
        List<String> outputs = List.of(LmHead.LOSS, LmHead.LOGITS, LmHead.TOKEN_LOGP);
        Gpt.Step want = graph.forwardBackward(head, tb, feed, outputs);
        for (int step = 0; step < 2; step++) {
            Gpt.Step got = kernels.forwardBackward(head, tb, feed, outputs);
            String at = spec + " B=" + b + " T=" + t + (padded ? " padded" : "") + " step " + step;
            assertEquals(want.outputs().get(LmHead.LOSS).getDouble(0), got.outputs().get(LmHead.LOSS).getDouble(0),
                    1e-5 * Math.max(1, Math.abs(want.outputs().get(LmHead.LOSS).getDouble(0))), at + " loss");
            assertClose(at + " logits", want.outputs().get(LmHead.LOGITS), got.outputs().get(LmHead.LOGITS), 1e-4);
            assertClose(at + " token logp", want.outputs().get(LmHead.TOKEN_LOGP), got.outputs().get(LmHead.TOKEN_LOGP),
                    1e-4);
            assertEquals(want.grads().keySet(), got.grads().keySet(), at + " gradient names");
            List<String> wantOrder = List.copyOf(want.grads().keySet());
            assertEquals(wantOrder, List.copyOf(got.grads().keySet()), at + " gradient order");
            for (String name : want.grads().keySet()) {
                assertClose(at + " d " + name, want.grads().get(name), got.grads().get(name), 2e-4);
            }
        }
        LmHead logits = new LmHead(false);
        Map<String, INDArray> a = graph.forward(logits, tb, Map.of(), LmHead.LOGITS, GptGraph.HIDDEN);
        Map<String, INDArray> k = kernels.forward(logits, tb, Map.of(), LmHead.LOGITS, GptGraph.HIDDEN);
        assertClose(spec + " forward logits", a.get(LmHead.LOGITS), k.get(LmHead.LOGITS), 1e-4);
        assertClose(spec + " forward hidden", a.get(GptGraph.HIDDEN), k.get(GptGraph.HIDDEN), 1e-4);
    }

    /** Any head: the same outputs and gradients from both engines (score head parameters included). */
    private static void compareHead(GptSpec spec, Head head, TokenBatch tb, Map<String, INDArray> feed,
                                    List<String> outputs) {
        Gpt graph = pair(spec, 9, Gpt.Engine.GRAPH);
        Gpt kernels = pair(spec, 9, Gpt.Engine.KERNELS);
        GptInit.addScoreHead(graph.params(), spec, DataType.FLOAT, 4, true);
        GptInit.addScoreHead(kernels.params(), spec, DataType.FLOAT, 4, true);
        Gpt.Step want = graph.forwardBackward(head, tb, feed, outputs);
        Gpt.Step got = kernels.forwardBackward(head, tb, feed, outputs);
        for (String o : outputs) {
            assertClose(head.key() + " " + o, want.outputs().get(o), got.outputs().get(o), 1e-4);
        }
        assertEquals(List.copyOf(want.grads().keySet()), List.copyOf(got.grads().keySet()), head.key() + " gradients");
        for (String name : want.grads().keySet()) {
            assertClose(head.key() + " d " + name, want.grads().get(name), got.grads().get(name), 2e-4);
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
        Gpt kernels = pair(spec, 5, Gpt.Engine.KERNELS);
        Gpt graph = pair(spec, 5, Gpt.Engine.GRAPH);
        Random rng = new Random(8);
        LmHead head = new LmHead(true);
        List<String> outputs = List.of(LmHead.LOSS, LmHead.LOGITS);
        for (int t : new int[] {9, 4, 16, 6, 9}) {
            TokenBatch tb = batch(spec, 3, t, true, rng);
            int[] targets = new int[3 * t];
            double[] mask = new double[3 * t];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = rng.nextInt(spec.vocabSize());
                mask[i] = tb.keyValid()[i];
            }
            Map<String, INDArray> feed = LmTargets.of(targets, mask, spec.vocabSize(), DataType.FLOAT);
            Gpt.Step want = graph.forwardBackward(head, tb, feed, outputs);
            Gpt.Step got = kernels.forwardBackward(head, tb, feed, outputs);
            assertClose("T=" + t + " logits", want.outputs().get(LmHead.LOGITS), got.outputs().get(LmHead.LOGITS), 1e-4);
            for (String name : want.grads().keySet()) {
                assertClose("T=" + t + " d " + name, want.grads().get(name), got.grads().get(name), 2e-4);
            }
        }
    }

    /** RMSNorm and rotary positions run by the kernels' tape as by the graph, padded, at and off the vector width. */
    @Test
    void rmsNormAndRotary() {
        compare(new GptSpec(2, 2, 32, 12, 23, Norm.RMSNORM, Position.ROPE), 3, 11, true);
        compare(new GptSpec(1, 3, 18, 8, 9, Norm.RMSNORM, Position.ROPE), 2, 7, false);
        compare(new GptSpec(1, 2, 16, 8, 9, Norm.LAYERNORM, Position.ROPE), 2, 8, true);
        compare(new GptSpec(1, 2, 16, 8, 9, Norm.RMSNORM, Position.LEARNED), 2, 8, true);
    }

    @Test
    void rewardAndValueHeads() {
        GptSpec spec = new GptSpec(2, 2, 24, 9, 17);
        Random rng = new Random(3);
        TokenBatch tb = batch(spec, 4, 9, true, rng);
        float[][] pairWeight = new float[4][4];                                                   // [B, B]
        float[][] pairMargin = new float[4][4];                                                   // [B, B]
        pairWeight[0][1] = pairWeight[0][2] = pairWeight[1][2] = 1f / 6;   // prompt 1: 0 > 1 > 2; prompt 2: row 3 alone
        pairMargin[0][1] = 0.5f;
        compareHead(spec, new RankingHead(), tb, Map.of(ScalarHead.LAST_TOKEN, LastToken.onehot(tb, DataType.FLOAT),
                RankingHead.WEIGHT, org.nd4j.linalg.factory.Nd4j.createFromArray(pairWeight),
                RankingHead.MARGIN, org.nd4j.linalg.factory.Nd4j.createFromArray(pairMargin)),
                List.of(RankingHead.LOSS, ScalarHead.SCORE));
        INDArray old = org.nd4j.linalg.factory.Nd4j.rand(DataType.FLOAT, 4, 9).subi(0.5);          // [B, T]
        INDArray ret = org.nd4j.linalg.factory.Nd4j.rand(DataType.FLOAT, 4, 9);                    // [B, T]
        INDArray weight = org.nd4j.linalg.factory.Nd4j.ones(DataType.FLOAT, 4, 9).divi(36);       // [B, T]
        compareHead(spec, ValueHead.training(0.2, 0.5), tb, Map.of(ValueHead.OLD_VALUES, old, ValueHead.RETURNS, ret,
                ValueHead.VALUE_WEIGHT, weight), List.of(ValueHead.LOSS, ValueHead.VALUES));
    }

    /** Forward only (no loss): the hand-written scoring heads against the graph's. */
    private static void compareForward(GptSpec spec, Head head, TokenBatch tb, Map<String, INDArray> feed,
                                       String... outputs) {
        Gpt graph = pair(spec, 11, Gpt.Engine.GRAPH);
        Gpt kernels = pair(spec, 11, Gpt.Engine.KERNELS);
        GptInit.addScoreHead(graph.params(), spec, DataType.FLOAT, 4, true);
        GptInit.addScoreHead(kernels.params(), spec, DataType.FLOAT, 4, true);
        assertTrue(KernelForwardHeads.accepts(head, feed, outputs), head.key() + " runs by hand");
        Map<String, INDArray> want = graph.forward(head, tb, feed, outputs);
        Map<String, INDArray> got = kernels.forward(head, tb, feed, outputs);
        for (String o : outputs) {
            assertEquals(List.of(want.get(o).shape().length), List.of(got.get(o).shape().length), o + " rank");
            assertClose(head.key() + " " + o, want.get(o), got.get(o), 1e-5);
        }
    }

    @Test
    void forwardOnlyScoringHeads() {
        GptSpec spec = new GptSpec(2, 2, 24, 9, 37);
        Random rng = new Random(4);
        TokenBatch tb = batch(spec, 3, 9, true, rng);
        int[] targets = new int[3 * 9];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(spec.vocabSize());
        }
        compareForward(spec, PolicyHead.logProbs(0.7), tb,
                Map.of(PolicyHead.TARGET_ONEHOT, LmTargets.oneHot(targets, spec.vocabSize(), DataType.FLOAT)),
                PolicyHead.TOKEN_LOGP);
        compareForward(spec, ValueHead.values(), tb, Map.of(), ValueHead.VALUES);
        compareForward(spec, new ScalarHead(false), tb,
                Map.of(ScalarHead.LAST_TOKEN, LastToken.onehot(tb, DataType.FLOAT)), ScalarHead.SCORE, ScalarHead.VALUES);
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
