package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.data.RankingExample;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardNorm;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.nn.GradientChecker;
import rlhf4j.tokenizer.Message;

/**
 * The ranking loss through the whole model: the reference metrics on hand-computed numbers, the model's loss
 * equal to the metrics' at any scale (no overflow), scores read at each row's last real token, and the
 * gradient through the reward model in DOUBLE. ({@code LossesTest} checks the loss itself by hand.)
 */
class RankingLossTest {
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

    /** The comparisons of the rankings above, as the rm stage builds them: weight 1 / (G · pairs of the prompt). */
    private static List<Losses.Comparison> comparisons(double margin) {
        double w1 = 1.0 / (2 * 3);
        double w2 = 1.0 / (2 * 2);
        return List.of(new Losses.Comparison(2, 0, w1, margin), new Losses.Comparison(2, 1, w1, 0),
                new Losses.Comparison(0, 1, w1, 0), new Losses.Comparison(3, 4, w2, 0), new Losses.Comparison(3, 5, w2, 0));
    }

    /** The ranking loss of the batch's scores, as the rm stage computes it. */
    private static Function<HeadOutputs, Loss> objective(TokenBatch b, double margin) {
        return out -> {
            Losses.ScoreLoss r = Losses.ranking(LastToken.scores(out.values(), b), comparisons(margin));
            return Loss.ofValues(r.value(), LastToken.spread(r.dScores(), b));
        };
    }

    @Test
    void referenceMetricsOnHandComputedNumbers() {
        assertEquals(Math.log(2), Losses.pairNll(0), 1e-15);
        assertEquals(1000.0, Losses.pairNll(-1000), 1e-12);
        assertEquals(0.0, Losses.pairNll(1000), 1e-300);
        // prompt 1: scores (0.5, 1.0, 2.0) for the ranking 2 > 0 > 1: pairs (2,0) right, (2,1) right, (0,1) wrong
        // prompt 2: scores (0, 3, −1) for 0 > 1, 0 > 2: (0,1) wrong, (0,2) right; the model's top (1) lost a pair
        RankingMetrics m = RankingMetrics.of(rankings(0), List.of(new double[] {0.5, 1.0, 2.0},
                new double[] {0.0, 3.0, -1.0}), RewardNorm.identity());
        assertEquals(2, m.rankings());
        assertEquals(5, m.pairs());
        assertEquals(3 / 5.0, m.accuracy(), 1e-15);
        assertEquals(0.5, m.top1(), 1e-15);
        assertEquals(((2 - 1) / 3.0 + (1 - 1) / 2.0) / 2, m.kendallTau(), 1e-15);
        double loss1 = (Losses.pairNll(1.5) + Losses.pairNll(1.0) + Losses.pairNll(-0.5)) / 3;
        double loss2 = (Losses.pairNll(-3.0) + Losses.pairNll(1.0)) / 2;
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
        assertEquals(Losses.pairNll(0.25), pair.loss(), 1e-15);
    }

    @Test
    void modelLossMatchesTheMetricsAndDoesNotOverflow() {
        Gpt gpt = model(6);
        TokenBatch b = batch();
        double margin = 0.5;
        for (double scale : new double[] {1.0, 1e4}) {
            gpt.params().get(ParamNames.SCORE_WEIGHT).muli(scale);
            double[] s = LastToken.scores(gpt.forward(HeadRequest.scalar(), b).values(), b);
            double reference = RankingMetrics.of(rankings(margin), List.of(new double[] {s[0], s[1], s[2]},
                    new double[] {s[3], s[4], s[5]}), RewardNorm.identity()).loss();
            Gpt.Step step = gpt.forwardBackward(HeadRequest.scalar(), b, objective(b, margin));
            assertTrue(Double.isFinite(step.loss().value()), "finite at scale " + scale);
            assertEquals(reference, step.loss().value(), 1e-9 * Math.max(1, reference));
        }
    }

    @Test
    void equalScoresGiveLog2PerPairWhateverTheBatch() {
        // ln_f gain 0: every hidden state is ln_f.bias, so every score is the same and z = −margin
        Gpt gpt = model(5);
        gpt.params().get(ParamNames.LN_F_WEIGHT).assign(0.0);
        TokenBatch b = batch();
        double loss = objective(b, 1.0).apply(gpt.forward(HeadRequest.scalar(), b)).value();
        double first = (1.3132616875182228 + 2 * Math.log(2)) / 3;          // softplus(1), softplus(0) twice
        assertEquals((first + Math.log(2)) / 2, loss, 1e-12);
    }

    @Test
    void scoreIsReadAtEachRowsLastRealTokenAndPaddingAfterItDoesNotMatter() {
        Gpt gpt = model(7);
        TokenBatch b = batch();
        double[] s = LastToken.scores(gpt.forward(HeadRequest.scalar(), b).values(), b);
        TokenBatch alone = TokenBatch.causal(new int[][] {{7, 7, 2}});
        assertEquals(LastToken.scores(gpt.forward(HeadRequest.scalar(), alone).values(), alone)[0], s[1], 1e-12);
        assertArrayEquals(new int[] {5, 2, 4, 3, 5, 1}, LastToken.indices(b));
    }

    @Test
    void gradientOfTheWholeModelThroughTheRankingLoss() {
        Gpt gpt = model(8);
        gpt.params().get(ParamNames.SCORE_WEIGHT).muli(3.0);      // |z| of a few units: both signs of z
        TokenBatch b = batch();
        Function<HeadOutputs, Loss> objective = objective(b, 0.7);
        Gpt.Step step = gpt.forwardBackward(HeadRequest.scalar(), b, objective);
        assertTrue(step.grads().keySet().containsAll(gpt.params().keySet()), "a gradient for every parameter");
        double[] s = LastToken.scores(step.outputs().values(), b);
        double[] z = {s[2] - s[0] - 0.7, s[2] - s[1], s[0] - s[1], s[3] - s[4], s[3] - s[5]};
        assertTrue(java.util.Arrays.stream(z).anyMatch(v -> v < -0.1) && java.util.Arrays.stream(z).anyMatch(v -> v > 0.1),
                "both signs of z are checked: z = " + java.util.Arrays.toString(z));
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> objective.apply(gpt.forward(HeadRequest.scalar(), b)).value());
        assertTrue(bad.isEmpty(), "mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }
}
