package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.nn.GradientChecker;

/** The whole model, LM loss included, against central differences in DOUBLE — with repeated tokens and padding. */
class GptGradientTest {
    static final GptSpec SPEC = new GptSpec(2, 2, 8, 6, 11);

    static Map<String, INDArray> lmTargets(TokenBatch batch, int[] targets, double[] mask, int vocab) {
        return LmTargets.of(targets, mask, vocab, DataType.DOUBLE);
    }

    private static void check(TokenBatch batch, int[] targets, double[] mask) {
        check(SPEC, batch, targets, mask);
    }

    private static void check(GptSpec spec, TokenBatch batch, int[] targets, double[] mask) {
        Gpt gpt = Gpt.create(spec, DataType.DOUBLE, 3, 0.3);
        LmHead head = new LmHead(true);
        Map<String, INDArray> extra = lmTargets(batch, targets, mask, spec.vocabSize());
        gpt.forwardBackward(head, batch, extra, List.of(LmHead.LOSS)); // check a second step: nothing left over may leak in
        Gpt.Step step = gpt.forwardBackward(head, batch, extra, List.of(LmHead.LOSS));
        assertTrue(step.grads().keySet().containsAll(gpt.params().keySet()), "a gradient for every parameter");
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> gpt.forward(head, batch, extra, LmHead.LOSS).get(LmHead.LOSS).getDouble(0));
        assertTrue(bad.isEmpty(), spec + " mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }

    @Test
    void wholeModelWithRepeatedTokens() {
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 2, 5, 1}, {7, 7, 7, 0, 10}});
        int[] targets = {2, 2, 5, 1, 3, 7, 7, 0, 10, 4};
        double[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        check(batch, targets, mask);
    }

    /** RMSNorm and rotary positions (model.norm, model.position): the graph engine's whole-model gradient. */
    @Test
    void rmsNormAndRotaryWholeModel() {
        int[] tokens = {0, 0, 3, 4, 5, 6, 6, 2, 9, 1};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        int[] targets = {0, 0, 4, 5, 8, 6, 2, 9, 1, 3};
        double[] mask = {0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
        for (GptSpec spec : List.of(new GptSpec(2, 2, 8, 6, 11, Norm.LAYERNORM, Position.ROPE),
                new GptSpec(2, 2, 8, 6, 11, Norm.RMSNORM, Position.LEARNED),
                new GptSpec(2, 2, 8, 6, 11, Norm.RMSNORM, Position.ROPE))) {
            check(spec, new TokenBatch(2, 5, tokens, positions, valid), targets, mask);
        }
    }

    @Test
    void wholeModelWithLeftPaddingAndMask() {
        int[] tokens = {0, 0, 3, 4, 5, 6, 6, 2, 9, 1};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        TokenBatch batch = new TokenBatch(2, 5, tokens, positions, valid);
        int[] targets = {0, 0, 4, 5, 8, 6, 2, 9, 1, 3};
        double[] mask = {0, 0, 1, 1, 1, 0, 0, 1, 1, 1};
        check(batch, targets, mask);
    }

    /**
     * The FLOAT path (the one training runs, with its own embedding scatter and any FLOAT-only
     * fast paths) against the DOUBLE path the central differences verified, on the padded batch
     * with repeated tokens; three steps in a row, earlier results still held, must agree too
     * (no buffer is reused while a caller holds it).
     */
    @Test
    void floatGradientsMatchTheCheckedDoubleOnes() {
        int[] tokens = {0, 0, 3, 4, 4, 6, 6, 2, 9, 6};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        TokenBatch batch = new TokenBatch(2, 5, tokens, positions, valid);
        int[] targets = {0, 0, 4, 5, 8, 6, 2, 9, 1, 3};
        double[] mask = {0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
        Gpt reference = Gpt.create(SPEC, DataType.DOUBLE, 3, 0.3);
        java.util.LinkedHashMap<String, INDArray> floatParams = new java.util.LinkedHashMap<>();
        reference.params().forEach((name, p) -> floatParams.put(name, p.castTo(DataType.FLOAT)));
        Gpt gpt = new Gpt(SPEC, floatParams);
        LmHead head = new LmHead(true);
        Gpt.Step expected = reference.forwardBackward(head, batch, LmTargets.of(targets, mask, SPEC.vocabSize(),
                DataType.DOUBLE), List.of(LmHead.LOSS));
        Map<String, INDArray> floatTargets = LmTargets.of(targets, mask, SPEC.vocabSize(), DataType.FLOAT);
        List<Gpt.Step> steps = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            steps.add(gpt.forwardBackward(head, batch, floatTargets, List.of(LmHead.LOSS)));
        }
        for (Gpt.Step step : steps) {
            assertEquals(expected.outputs().get(LmHead.LOSS).getDouble(0), step.outputs().get(LmHead.LOSS).getDouble(0), 1e-5);
            assertEquals(expected.grads().keySet(), step.grads().keySet());
            for (String name : expected.grads().keySet()) {
                INDArray want = expected.grads().get(name);
                INDArray got = step.grads().get(name).castTo(DataType.DOUBLE);
                double scale = want.amaxNumber().doubleValue() + 1e-6;
                double err = want.sub(got).amaxNumber().doubleValue();
                assertTrue(err <= 1e-4 * scale, name + ": max |float - double| = " + err + ", max |grad| = " + scale);
            }
        }
    }

    @Test
    void maskedOutTargetsDoNotChangeTheLoss() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 3, 0.3);
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 3, 4}});
        double[] mask = {0, 0, 1, 1};
        LmHead head = new LmHead(true);
        double a = gpt.forward(head, batch, LmTargets.of(new int[] {2, 3, 4, 5}, mask, 11, DataType.DOUBLE),
                LmHead.LOSS).get(LmHead.LOSS).getDouble(0);
        double b = gpt.forward(head, batch, LmTargets.of(new int[] {9, 9, 4, 5}, mask, 11, DataType.DOUBLE),
                LmHead.LOSS).get(LmHead.LOSS).getDouble(0);
        double c = gpt.forward(head, batch, LmTargets.of(new int[] {2, 3, 4, 9}, mask, 11, DataType.DOUBLE),
                LmHead.LOSS).get(LmHead.LOSS).getDouble(0);
        assertEquals(a, b, 0.0);
        assertNotEquals(a, c);
    }

    @Test
    void optimizerUpdatesInPlaceAreSeenByTheGraph() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 3, 0.3);
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 3}});
        LmHead head = new LmHead(false);
        double before = gpt.forward(head, batch, Map.of(), LmHead.LOGITS).get(LmHead.LOGITS).getDouble(0, 0);
        gpt.params().get(ParamNames.LN_F_BIAS).addi(1.0);
        double after = gpt.forward(head, batch, Map.of(), LmHead.LOGITS).get(LmHead.LOGITS).getDouble(0, 0);
        assertNotEquals(before, after);
    }

    @Test
    void paramCountMatchesTheArrays() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 3, 0.02);
        long total = gpt.params().values().stream().mapToLong(INDArray::length).sum();
        assertEquals(SPEC.paramCount(), total);
    }
}
