package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.nn.GradientChecker;

/** The whole model, LM loss included, against central differences in DOUBLE — with repeated tokens and padding. */
class GptGradientTest {
    static final GptSpec SPEC = new GptSpec(2, 2, 8, 6, 11);

    /** The masked-mean LM loss of a pass, as pretraining and SFT compute it. */
    static Function<HeadOutputs, Loss> lm(double[] mask) {
        double[] weight = Losses.meanWeights(mask);
        return out -> Losses.lm(out.logp(), weight);
    }

    private static void check(TokenBatch batch, int[] targets, double[] mask) {
        check(SPEC, batch, targets, mask);
    }

    private static void check(GptSpec spec, TokenBatch batch, int[] targets, double[] mask) {
        Gpt gpt = Gpt.create(spec, DataType.DOUBLE, 3, 0.3);
        HeadRequest request = HeadRequest.lm(targets);
        gpt.forwardBackward(request, batch, lm(mask)); // check a second step: nothing left over may leak in
        Gpt.Step step = gpt.forwardBackward(request, batch, lm(mask));
        assertTrue(step.grads().keySet().containsAll(gpt.params().keySet()), "a gradient for every parameter");
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> lm(mask).apply(gpt.forward(request, batch)).value());
        assertTrue(bad.isEmpty(), spec + " mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }

    @Test
    void wholeModelWithRepeatedTokens() {
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 2, 5, 1}, {7, 7, 7, 0, 10}});
        int[] targets = {2, 2, 5, 1, 3, 7, 7, 0, 10, 4};
        double[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        check(batch, targets, mask);
    }

    /**
     * RMSNorm and rotary positions (model.norm, model.position), and GPT-2's gelu_new with a LayerNorm epsilon (a
     * Hugging Face GPT-2): the graph engine's whole-model gradient.
     */
    @Test
    void rmsNormAndRotaryWholeModel() {
        int[] tokens = {0, 0, 3, 4, 5, 6, 6, 2, 9, 1};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        int[] targets = {0, 0, 4, 5, 8, 6, 2, 9, 1, 3};
        double[] mask = {0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
        for (GptSpec spec : List.of(new GptSpec(2, 2, 8, 6, 11, Norm.LAYERNORM, Position.ROPE),
                new GptSpec(2, 2, 8, 6, 11, Norm.RMSNORM, Position.LEARNED),
                new GptSpec(2, 2, 8, 6, 11, Norm.RMSNORM, Position.ROPE),
                new GptSpec(2, 2, 8, 6, 11, Norm.LAYERNORM, Position.LEARNED, Activation.GELU_NEW, 1e-5))) {
            check(spec, new TokenBatch(2, 5, tokens, positions, valid), targets, mask);
        }
    }

    /**
     * The LLaMA family's choices, each alone and together, on the padded batch: SwiGLU (I = 12, not 4C),
     * grouped-query attention (4 query heads over 2 key/value heads, and over 1), no biases, q/k/v biases only, an
     * untied LM head, a rotary base and an RMSNorm epsilon of their own. Every parameter's gradient of the graph
     * engine against central differences, so the split, the null biases and {@code lm_head.weight} are covered.
     */
    @Test
    void llamaAndQwen2ChoicesWholeModel() {
        int[] tokens = {0, 0, 3, 4, 5, 6, 6, 2, 9, 1};
        int[] positions = {0, 0, 0, 1, 2, 0, 1, 2, 3, 4};
        int[] valid = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
        int[] targets = {0, 0, 4, 5, 8, 6, 2, 9, 1, 3};
        double[] mask = {0, 0, 1, 1, 1, 0, 1, 1, 1, 1};
        GptSpec rope = new GptSpec(2, 4, 8, 6, 11, Norm.RMSNORM, Position.ROPE);
        for (GptSpec spec : List.of(
                new GptSpec(2, 2, 8, 6, 11).withMlp(Mlp.SWIGLU, 12),
                new GptSpec(2, 4, 8, 6, 11).withKvHeads(2),
                rope.withKvHeads(1),
                new GptSpec(2, 2, 8, 6, 11).withBias(Bias.NONE).withTiedHead(false),
                ArchitectureTest.llama(2, 4, 8, 6, 11, 12),
                ArchitectureTest.qwen2(2, 4, 8, 6, 11, 12))) {
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
        Gpt.Step expected = reference.forwardBackward(HeadRequest.lm(targets), batch, lm(mask));
        List<Gpt.Step> steps = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            steps.add(gpt.forwardBackward(HeadRequest.lm(targets), batch, lm(mask)));
        }
        for (Gpt.Step step : steps) {
            assertEquals(expected.loss().value(), step.loss().value(), 1e-5);
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
        double a = lm(mask).apply(gpt.forward(HeadRequest.lm(new int[] {2, 3, 4, 5}), batch)).value();
        double b = lm(mask).apply(gpt.forward(HeadRequest.lm(new int[] {9, 9, 4, 5}), batch)).value();
        double c = lm(mask).apply(gpt.forward(HeadRequest.lm(new int[] {2, 3, 4, 9}), batch)).value();
        assertEquals(a, b, 0.0);
        assertNotEquals(a, c);
    }

    @Test
    void optimizerUpdatesInPlaceAreSeenByTheGraph() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 3, 0.3);
        TokenBatch batch = TokenBatch.causal(new int[][] {{1, 2, 3}});
        HeadRequest logits = HeadRequest.lm(new int[] {1, 1, 1}).withLogits();
        double before = gpt.forward(logits, batch).logits().getDouble(0, 0);
        gpt.params().get(ParamNames.LN_F_BIAS).addi(1.0);
        double after = gpt.forward(logits, batch).logits().getDouble(0, 0);
        assertNotEquals(before, after);
    }

    @Test
    void paramCountMatchesTheArrays() {
        for (GptSpec spec : List.of(SPEC, ArchitectureTest.llama(2, 4, 8, 6, 11, 12),
                ArchitectureTest.qwen2(2, 4, 8, 6, 11, 12))) {
            Gpt gpt = Gpt.create(spec, DataType.DOUBLE, 3, 0.02);
            long total = gpt.params().values().stream().mapToLong(INDArray::length).sum();
            assertEquals(spec.paramCount(), total, spec.toString());
        }
        // GPT-2's count, written out: 12·C² + 13·C per block, and the tied embeddings
        long c = SPEC.nEmbd();
        assertEquals(SPEC.vocabSize() * c + SPEC.blockSize() * c + SPEC.nLayer() * (12 * c * c + 13 * c) + 2 * c,
                SPEC.paramCount());
    }
}
