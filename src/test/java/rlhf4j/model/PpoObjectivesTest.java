package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.nn.GradientChecker;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.tokenizer.Message;

/**
 * The PPO losses through the whole model in DOUBLE: the policy's clipped surrogate (with and without the
 * entropy bonus) and the clipped value loss equal the per-token formulas (min/max written out) with ratios
 * and value moves on both sides of the clip range, and their gradients pass a central-difference check.
 */
class PpoObjectivesTest {
    private static final GptSpec SPEC = ObjectiveBatches.SPEC;
    private static final double CLIP = 0.2;

    @Test
    void clippedSurrogateValueAndGradient() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 21, 0.4);
        RolloutBatch b = ObjectiveBatches.batch();
        HeadRequest request = HeadRequest.policy(b.targets(), 0.7, true);
        double[][] logp = b.ragged(gpt.forward(request, b.tokens()).logp());
        // old = logp + offset, so r = exp(−offset) ∈ {1.65, 1.11, 0.95, 0.74, 0.55}: inside and outside [0.8, 1.2]
        double[][] old = ObjectiveBatches.plus(logp, ObjectiveBatches.like(b, -0.5, -0.1, 0.05, 0.3, 0.6));
        double[][] adv = ObjectiveBatches.like(b, 1.3, -0.7, 0.4, -1.1, 0.9, -0.2, 2.0);
        double[][] weight = b.uniformWeights();
        for (double entropyCoef : new double[] {0.0, 0.05}) {
            Function<HeadOutputs, Loss> objective = o -> Losses.ppoPolicy(o.logp(), o.entropy(), b.flat(old), b.flat(adv),
                    b.flat(weight), CLIP, entropyCoef);
            Gpt.Step step = gpt.forwardBackward(request, b.tokens(), objective);
            double[][] entropy = b.ragged(step.outputs().entropy());
            double expected = 0;
            int clipped = 0;
            for (int i = 0; i < adv.length; i++) {
                for (int j = 0; j < adv[i].length; j++) {
                    double r = Math.exp(logp[i][j] - old[i][j]);
                    expected += weight[i][j] * (Losses.clippedSurrogate(r, adv[i][j], CLIP)
                            - entropyCoef * entropy[i][j]);
                    clipped += RolloutMath.isClipped(r, adv[i][j], CLIP) ? 1 : 0;
                }
            }
            assertTrue(clipped > 2 && clipped < b.responseTokens() - 2, "both clipped and unclipped tokens: " + clipped);
            assertEquals(expected, step.loss().value(), 1e-12);
            List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                    () -> objective.apply(gpt.forward(request, b.tokens())).value());
            assertTrue(bad.isEmpty(), "entropy_coef " + entropyCoef + ": " + bad.subList(0, Math.min(5, bad.size())));
        }
    }

    @Test
    void clippedValueLossValueAndGradient() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 22, 0.4);
        GptInit.addScoreHead(gpt.params(), SPEC, DataType.DOUBLE, 22, false);
        RolloutBatch b = ObjectiveBatches.batch();
        double[][] v = b.ragged(gpt.forward(HeadRequest.scalar(), b.tokens()).values());
        // the value moved by −offset since the rollout: beyond ±0.2 for some tokens, within for others
        double[][] old = ObjectiveBatches.plus(v, ObjectiveBatches.like(b, -0.5, -0.1, 0.1, 0.4, 0.03));
        double[][] ret = ObjectiveBatches.plus(v, ObjectiveBatches.like(b, 0.7, -0.9, 0.25, -0.35, 1.5, -0.05));
        double[][] weight = b.uniformWeights();
        Function<HeadOutputs, Loss> objective = o -> Losses.clippedValue(o.values(), b.flat(old), b.flat(ret),
                b.flat(weight), 0.2, 0.1);
        Gpt.Step step = gpt.forwardBackward(HeadRequest.scalar(), b.tokens(), objective);
        double expected = 0;
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < v[i].length; j++) {
                expected += 0.1 * weight[i][j] * Losses.clippedValueLoss(v[i][j], old[i][j], ret[i][j], 0.2);
            }
        }
        assertEquals(expected, step.loss().value(), 1e-12);
        List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                () -> objective.apply(gpt.forward(HeadRequest.scalar(), b.tokens())).value());
        assertTrue(bad.isEmpty(), "mismatches: " + bad.subList(0, Math.min(5, bad.size())));
    }

    @Test
    void rolloutBatchesPadToTheLongestRoundedUpTo16() {
        for (int[] c : new int[][] {{5, 16}, {16, 16}, {17, 32}, {70, 80}, {121, 128}, {128, 128}}) {
            int inputs = c[0];                          // prompt + response − 1 tokens in the longest row
            List<Rollout> rows = List.of(
                    new Rollout(List.of(Message.user("a")), new int[] {1, 2}, new int[inputs - 1],
                            new double[inputs - 1], true, null),
                    new Rollout(List.of(Message.user("b")), new int[] {1}, new int[] {3}, new double[1], true, null));
            assertEquals(c[1], RolloutBatch.of(rows, 128, 0).seqLen(), "longest " + inputs);
        }
    }

    @Test
    void rolloutBatchPlacesResponseTokensAfterTheirPrompt() {
        RolloutBatch b = ObjectiveBatches.batch();
        assertEquals(16, b.seqLen());
        assertEquals(17, b.responseTokens());
        double[][] x = ObjectiveBatches.like(b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
        double[] flat = b.flat(x);
        assertEquals(1.0, flat[2]);               // row 0: prompt of 3, response token 0 predicted at position 2
        assertEquals(5.0, flat[16]);              // row 1: prompt of 1 → position 0 of row 1
        assertEquals(11.0, flat[2 * 16 + 4]);     // row 2: prompt of 5 → position 4
        assertEquals(13.0, flat[3 * 16 + 1]);     // row 3: prompt of 2 → position 1
        assertEquals(0.0, flat[2 * 16 + 6]);      // past row 2's response
        double[][] back = b.ragged(flat);
        for (int i = 0; i < x.length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(x[i], back[i]);
        }
        // the targets at those positions are the response tokens
        assertEquals(8, b.targets()[2]);
        assertEquals(2, b.targets()[3 * 16 + 5]);
    }
}
