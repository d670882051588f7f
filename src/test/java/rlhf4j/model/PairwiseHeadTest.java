package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.eval.PairMetrics;
import rlhf4j.nn.GradientChecker;

/** The pairwise ranking loss: hand-computed values, no overflow, and the whole model's gradient in DOUBLE. */
class PairwiseHeadTest {
    private static final GptSpec SPEC = new GptSpec(1, 2, 8, 6, 11);

    /** Three pairs, chosen rows then rejected rows, right-padded to T = 6 (lengths 6, 3, 5 | 4, 6, 2). */
    private static TokenBatch batch() {
        int[][] rows = {{1, 2, 3, 4, 5, 6}, {7, 7, 2, 0, 0, 0}, {3, 9, 9, 1, 4, 0},
            {1, 2, 3, 8, 0, 0}, {7, 7, 2, 5, 5, 10}, {3, 9, 0, 0, 0, 0}};
        int[] lengths = {6, 3, 5, 4, 6, 2};
        int t = 6;
        int[] tokens = new int[rows.length * t];
        int[] positions = new int[rows.length * t];
        int[] valid = new int[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < t; j++) {
                tokens[i * t + j] = rows[i][j];
                positions[i * t + j] = j;
                valid[i * t + j] = j < lengths[i] ? 1 : 0;
            }
        }
        return new TokenBatch(rows.length, t, tokens, positions, valid);
    }

    private static Gpt model(long seed) {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, seed, 0.3);
        GptInit.addScoreHead(gpt.params(), SPEC, DataType.DOUBLE, seed, false);
        return gpt;
    }

    private static Map<String, INDArray> feed(TokenBatch b, double... margins) {
        return Map.of(ScalarHead.LAST_TOKEN, LastToken.onehot(b, DataType.DOUBLE),
                PairwiseHead.MARGIN, Nd4j.createFromArray(margins));
    }

    @Test
    void referenceLossOnHandComputedNumbers() {
        assertEquals(Math.log(2), PairMetrics.nll(0), 1e-15);
        assertEquals(0.1269280110429725, PairMetrics.nll(2), 1e-15);          // log(1 + e^-2)
        assertEquals(3.048587351573742, PairMetrics.nll(-3), 1e-15);           // 3 + log(1 + e^-3)
        assertEquals(1000.0, PairMetrics.nll(-1000), 1e-12);
        assertEquals(0.0, PairMetrics.nll(1000), 1e-300);
        // r_c = (1.5, −0.5), r_r = (0.5, 0.5), margin (0, 0.25): z = (1, −1.25)
        PairMetrics m = PairMetrics.of(new double[] {1.5, -0.5}, new double[] {0.5, 0.5}, new double[] {0, 0.25},
                rlhf4j.eval.RewardNorm.identity());
        assertEquals((0.31326168751822286 + 1.501929081345373) / 2, m.loss(), 1e-15);
        assertEquals(0.5, m.accuracy());
        assertEquals(0.0, m.margin(), 1e-15);                   // (1.5 − 0.5 + (−0.5 − 0.5)) / 2
        assertEquals(0.5, m.chosenMean(), 1e-15);
        assertEquals(1.0, m.chosenStd(), 1e-15);
        assertEquals(0.0, m.rejectedStd(), 1e-15);
    }

    @Test
    void graphLossOnHandComputedNumbers() {
        // ln_f gain 0: every hidden state is ln_f.bias, so every score is the same and z = −margin
        Gpt gpt = model(5);
        gpt.params().get(ParamNames.LN_F_WEIGHT).assign(0.0);
        TokenBatch b = batch();
        double loss = gpt.forward(new PairwiseHead(), b, feed(b, 0.0, 1.0, -2.0), PairwiseHead.LOSS)
                .get(PairwiseHead.LOSS).getDouble(0);
        double expected = (Math.log(2) + 1.3132616875182228 + 0.1269280110429725) / 3; // softplus(0, 1, −2)
        assertEquals(expected, loss, 1e-12);
    }

    @Test
    void graphLossMatchesTheReferenceAndDoesNotOverflow() {
        Gpt gpt = model(6);
        TokenBatch b = batch();
        double[] margins = {0.0, 0.5, -0.25};
        for (double scale : new double[] {1.0, 1e4}) {
            gpt.params().get(ParamNames.SCORE_WEIGHT).muli(scale);
            Map<String, INDArray> out = gpt.forward(new PairwiseHead(), b, feed(b, margins), PairwiseHead.LOSS,
                    PairwiseHead.CHOSEN, PairwiseHead.REJECTED, ScalarHead.SCORE);
            double[] c = out.get(PairwiseHead.CHOSEN).toDoubleVector();
            double[] r = out.get(PairwiseHead.REJECTED).toDoubleVector();
            double[] s = out.get(ScalarHead.SCORE).toDoubleVector();
            assertArrayEquals(new double[] {s[0], s[1], s[2]}, c, 0.0);
            assertArrayEquals(new double[] {s[3], s[4], s[5]}, r, 0.0);
            double reference = PairMetrics.of(c, r, margins, rlhf4j.eval.RewardNorm.identity()).loss();
            double loss = out.get(PairwiseHead.LOSS).getDouble(0);
            assertTrue(Double.isFinite(loss), "finite at scale " + scale);
            assertEquals(reference, loss, 1e-9 * Math.max(1, reference));
        }
    }

    @Test
    void scoreIsReadAtEachRowsLastRealToken() {
        Gpt gpt = model(7);
        TokenBatch b = batch();
        double[] s = gpt.forward(new PairwiseHead(), b, feed(b, 0, 0, 0), ScalarHead.SCORE).get(ScalarHead.SCORE)
                .toDoubleVector();
        double alone = gpt.forward(new ScalarHead(false), TokenBatch.causal(new int[][] {{7, 7, 2}}),
                Map.of(ScalarHead.LAST_TOKEN, Nd4j.createFromArray(new double[][] {{0, 0, 1}})), ScalarHead.SCORE)
                .get(ScalarHead.SCORE).getDouble(0);
        assertEquals(alone, s[1], 1e-12);
        assertArrayEquals(new int[] {5, 2, 4, 3, 5, 1}, LastToken.indices(b));
    }

    @Test
    void gradientOfTheWholeModelThroughThePairwiseLoss() {
        Gpt gpt = model(8);
        gpt.params().get(ParamNames.SCORE_WEIGHT).muli(3.0);      // |z| of a few units: both branches of max(0, −z)
        TokenBatch b = batch();
        Map<String, INDArray> extra = feed(b, 0.0, 0.7, -0.4);
        PairwiseHead head = new PairwiseHead();
        Gpt.Step step = gpt.forwardBackward(head, b, extra, List.of(PairwiseHead.LOSS, PairwiseHead.CHOSEN,
                PairwiseHead.REJECTED));
        assertTrue(step.grads().keySet().containsAll(gpt.params().keySet()), "a gradient for every parameter");
        double[] c = step.outputs().get(PairwiseHead.CHOSEN).toDoubleVector();
        double[] r = step.outputs().get(PairwiseHead.REJECTED).toDoubleVector();
        double[] z = {c[0] - r[0], c[1] - r[1] - 0.7, c[2] - r[2] + 0.4};
        assertTrue(java.util.Arrays.stream(z).anyMatch(v -> v < -0.1) && java.util.Arrays.stream(z).anyMatch(v -> v > 0.1),
                "both branches of max(0, −z) are checked: z = " + java.util.Arrays.toString(z));
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> gpt.forward(head, b, extra, PairwiseHead.LOSS).get(PairwiseHead.LOSS).getDouble(0));
        assertTrue(bad.isEmpty(), "mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }
}
