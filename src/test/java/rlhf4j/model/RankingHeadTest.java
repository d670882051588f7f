package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.data.Message;
import rlhf4j.data.RankingExample;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardNorm;
import rlhf4j.nn.GradientChecker;

/**
 * The ranking loss: hand-computed value and gradient on a K = 3 ranking, the pairs of a batch read only within
 * each prompt's block, no overflow, and the whole model's gradient through it in DOUBLE.
 */
class RankingHeadTest {
    private static final GptSpec SPEC = new GptSpec(1, 2, 8, 6, 11);

    /** Six rows right-padded to T = 6 (lengths 6, 3, 5 | 4, 6, 2): two prompts of three responses. */
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

    /** Prompt 1 ranks its three responses 2 > 0 > 1; prompt 2 scores them (1, 0, 0): two pairs, 0 > 1 and 0 > 2. */
    private static List<RankingExample> rankings(double margin) {
        List<Message> p = List.of(Message.user("q"));
        return List.of(
                new RankingExample(null, 1, p, List.of("a", "b", "c"), List.of(new RankingExample.Pair(2, 0, margin),
                        new RankingExample.Pair(2, 1, 0), new RankingExample.Pair(0, 1, 0))),
                new RankingExample(null, 2, p, List.of("d", "e", "f"), List.of(new RankingExample.Pair(0, 1, 0),
                        new RankingExample.Pair(0, 2, 0))));
    }

    /** The [N, N] tables of the rankings above, as the rm stage builds them: weight 1 / (G · pairs of the prompt). */
    private static Map<String, INDArray> feed(TokenBatch b, double margin) {
        double[][] w = new double[6][6];
        double[][] m = new double[6][6];
        w[2][0] = w[2][1] = w[0][1] = 1.0 / (2 * 3);
        m[2][0] = margin;
        w[3][4] = w[3][5] = 1.0 / (2 * 2);
        return Map.of(ScalarHead.LAST_TOKEN, LastToken.onehot(b, DataType.DOUBLE),
                RankingHead.WEIGHT, Nd4j.createFromArray(w), RankingHead.MARGIN, Nd4j.createFromArray(m));
    }

    /**
     * A trunk whose final hidden states are given (C = 1, T = 2, weight 1, bias 0): with the last token at
     * position 1, score_i = h[2i + 1].
     */
    private record GivenScores(SameDiff sd, SDVariable hidden, int batch) implements Head.Trunk {
        @Override
        public SDVariable wte() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable scoreWeight() {
            return sd.constant("w", Nd4j.ones(DataType.DOUBLE, 1, 1));
        }

        @Override
        public SDVariable scoreBias() {
            return sd.constant("b", Nd4j.zeros(DataType.DOUBLE, 1));
        }

        @Override
        public int seqLen() {
            return 2;
        }

        @Override
        public GptSpec spec() {
            return SPEC;
        }
    }

    @Test
    void valueAndGradientOfOneRankingOfThreeByHand() {
        // r = (2, 0.5, −1) ranked 0 > 1 > 2: z = (1.5, 3, 1.5) for the pairs (0,1), (0,2), (1,2)
        SameDiff sd = SameDiff.create();
        SDVariable h = sd.var("h", Nd4j.createFromArray(new double[][] {{9}, {2.0}, {9}, {0.5}, {9}, {-1.0}})); // [N*T, 1]
        new RankingHead().build(sd, new GivenScores(sd, h, 3));
        sd.setLossVariables(RankingHead.LOSS);
        double[][] w = new double[3][3];
        w[0][1] = w[0][2] = w[1][2] = 1.0 / 3;
        Map<String, INDArray> feed = Map.of(ScalarHead.LAST_TOKEN,
                Nd4j.createFromArray(new double[][] {{0, 1}, {0, 1}, {0, 1}}),                      // [N, T]
                RankingHead.WEIGHT, Nd4j.createFromArray(w), RankingHead.MARGIN, Nd4j.zeros(DataType.DOUBLE, 3, 3));
        double loss = sd.output(feed, RankingHead.LOSS).get(RankingHead.LOSS).getDouble(0);
        double nll15 = 0.2014132779827524;            // log(1 + e^−1.5)
        double nll3 = 0.04858735157374206;            // log(1 + e^−3)
        assertEquals((2 * nll15 + nll3) / 3, loss, 1e-14);
        // dL/dr_i = Σ over pairs: −σ(−z)/3 for the better side, +σ(−z)/3 for the worse
        double s15 = 0.18242552380635635;             // σ(−1.5)
        double s3 = 0.04742587317756678;              // σ(−3)
        double[] grad = sd.calculateGradients(feed, "h").get("h").toDoubleVector();
        assertArrayEquals(new double[] {0, -(s15 + s3) / 3, 0, (s15 - s15) / 3, 0, (s3 + s15) / 3}, grad, 1e-14);
        assertEquals((2 * nll15 + nll3) / 3, RankingMetrics.of(List.of(new RankingExample(null, 1,
                List.of(Message.user("q")), List.of("a", "b", "c"), List.of(new RankingExample.Pair(0, 1, 0),
                        new RankingExample.Pair(0, 2, 0), new RankingExample.Pair(1, 2, 0)))),
                List.of(new double[] {2.0, 0.5, -1.0}), RewardNorm.identity()).loss(), 1e-15);
    }

    @Test
    void referenceMetricsOnHandComputedNumbers() {
        assertEquals(Math.log(2), RankingMetrics.nll(0), 1e-15);
        assertEquals(1000.0, RankingMetrics.nll(-1000), 1e-12);
        assertEquals(0.0, RankingMetrics.nll(1000), 1e-300);
        // prompt 1: scores (0.5, 1.0, 2.0) for the ranking 2 > 0 > 1: pairs (2,0) right, (2,1) right, (0,1) wrong
        // prompt 2: scores (0, 3, −1) for 0 > 1, 0 > 2: (0,1) wrong, (0,2) right; the model's top (1) lost a pair
        RankingMetrics m = RankingMetrics.of(rankings(0), List.of(new double[] {0.5, 1.0, 2.0},
                new double[] {0.0, 3.0, -1.0}), RewardNorm.identity());
        assertEquals(2, m.rankings());
        assertEquals(5, m.pairs());
        assertEquals(3 / 5.0, m.accuracy(), 1e-15);
        assertEquals(0.5, m.top1(), 1e-15);
        assertEquals(((2 - 1) / 3.0 + (1 - 1) / 2.0) / 2, m.kendallTau(), 1e-15);
        double loss1 = (RankingMetrics.nll(1.5) + RankingMetrics.nll(1.0) + RankingMetrics.nll(-0.5)) / 3;
        double loss2 = (RankingMetrics.nll(-3.0) + RankingMetrics.nll(1.0)) / 2;
        assertEquals((loss1 + loss2) / 2, m.loss(), 1e-15);
        assertEquals((1.5 + 1.0 - 0.5 - 3.0 + 1.0) / 5, m.margin(), 1e-15);
        assertEquals((2.0 + 0.0) / 2, m.chosenMean(), 1e-15);              // labeler's best: 2.0 and 0.0
        assertEquals((1.0 + 3.0) / 2, m.rejectedMean(), 1e-15);            // labeler's worst: response 1 and 1
        // a pair is a ranking of two: top-1 = accuracy, Kendall τ = 2·accuracy − 1
        RankingMetrics pair = RankingMetrics.of(List.of(new RankingExample(null, 1, List.of(Message.user("q")),
                List.of("a", "b"), List.of(new RankingExample.Pair(0, 1, 0.25)))), List.of(new double[] {1, 0.5}),
                RewardNorm.identity());
        assertEquals(1.0, pair.top1());
        assertEquals(1.0, pair.kendallTau());
        assertEquals(RankingMetrics.nll(0.25), pair.loss(), 1e-15);
    }

    @Test
    void graphLossMatchesTheReferenceAndDoesNotOverflow() {
        Gpt gpt = model(6);
        TokenBatch b = batch();
        double margin = 0.5;
        for (double scale : new double[] {1.0, 1e4}) {
            gpt.params().get(ParamNames.SCORE_WEIGHT).muli(scale);
            Map<String, INDArray> out = gpt.forward(new RankingHead(), b, feed(b, margin), RankingHead.LOSS,
                    ScalarHead.SCORE);
            double[] s = out.get(ScalarHead.SCORE).toDoubleVector();
            double reference = RankingMetrics.of(rankings(margin), List.of(new double[] {s[0], s[1], s[2]},
                    new double[] {s[3], s[4], s[5]}), RewardNorm.identity()).loss();
            double loss = out.get(RankingHead.LOSS).getDouble(0);
            assertTrue(Double.isFinite(loss), "finite at scale " + scale);
            assertEquals(reference, loss, 1e-9 * Math.max(1, reference));
        }
    }

    @Test
    void equalScoresGiveLog2PerPairWhateverTheBatch() {
        // ln_f gain 0: every hidden state is ln_f.bias, so every score is the same and z = −margin
        Gpt gpt = model(5);
        gpt.params().get(ParamNames.LN_F_WEIGHT).assign(0.0);
        TokenBatch b = batch();
        double loss = gpt.forward(new RankingHead(), b, feed(b, 1.0), RankingHead.LOSS).get(RankingHead.LOSS)
                .getDouble(0);
        double first = (1.3132616875182228 + 2 * Math.log(2)) / 3;          // softplus(1), softplus(0) twice
        assertEquals((first + Math.log(2)) / 2, loss, 1e-12);
    }

    @Test
    void scoreIsReadAtEachRowsLastRealToken() {
        Gpt gpt = model(7);
        TokenBatch b = batch();
        double[] s = gpt.forward(new RankingHead(), b, feed(b, 0), ScalarHead.SCORE).get(ScalarHead.SCORE)
                .toDoubleVector();
        double alone = gpt.forward(new ScalarHead(false), TokenBatch.causal(new int[][] {{7, 7, 2}}),
                Map.of(ScalarHead.LAST_TOKEN, Nd4j.createFromArray(new double[][] {{0, 0, 1}})), ScalarHead.SCORE)
                .get(ScalarHead.SCORE).getDouble(0);
        assertEquals(alone, s[1], 1e-12);
        assertArrayEquals(new int[] {5, 2, 4, 3, 5, 1}, LastToken.indices(b));
    }

    @Test
    void gradientOfTheWholeModelThroughTheRankingLoss() {
        Gpt gpt = model(8);
        gpt.params().get(ParamNames.SCORE_WEIGHT).muli(3.0);      // |z| of a few units: both branches of max(0, −z)
        TokenBatch b = batch();
        Map<String, INDArray> extra = feed(b, 0.7);
        RankingHead head = new RankingHead();
        Gpt.Step step = gpt.forwardBackward(head, b, extra, List.of(RankingHead.LOSS, ScalarHead.SCORE));
        assertTrue(step.grads().keySet().containsAll(gpt.params().keySet()), "a gradient for every parameter");
        double[] s = step.outputs().get(ScalarHead.SCORE).toDoubleVector();
        double[] z = {s[2] - s[0] - 0.7, s[2] - s[1], s[0] - s[1], s[3] - s[4], s[3] - s[5]};
        assertTrue(java.util.Arrays.stream(z).anyMatch(v -> v < -0.1) && java.util.Arrays.stream(z).anyMatch(v -> v > 0.1),
                "both branches of max(0, −z) are checked: z = " + java.util.Arrays.toString(z));
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> gpt.forward(head, b, extra, RankingHead.LOSS).get(RankingHead.LOSS).getDouble(0));
        assertTrue(bad.isEmpty(), "mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }
}
