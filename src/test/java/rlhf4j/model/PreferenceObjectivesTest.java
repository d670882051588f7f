package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses.Comparison;
import rlhf4j.loss.Losses;
import rlhf4j.nn.GradientChecker;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutMath;

/**
 * DPO / IPO and GRPO's policy loss through the whole model in DOUBLE: sequence log-probabilities as row sums
 * of the per-token log-probabilities, the score derivative spread back over each row's response tokens, the
 * values equal to the formulas written out here from the model's own log-probabilities, and the gradients
 * through every parameter pass a central-difference check. ({@code PreferenceLossesTest} checks the losses
 * themselves by hand; {@code PpoObjectivesTest} is the same check for PPO.)
 */
class PreferenceObjectivesTest {
    private static final GptSpec SPEC = ObjectiveBatches.SPEC;
    private static final double CLIP = 0.2;

    /** {@code perRow[i]} on every response token of row i. */
    private static double[][] spread(RolloutBatch b, double[] perRow) {
        double[][] out = new double[b.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[b.rows().get(i).response().length];
            Arrays.fill(out[i], perRow[i]);
        }
        return out;
    }

    // ---------------------------------------------------------------- DPO / IPO

    /** Rows 0 over 1 and 2 over 3: two prompts of one pair each, weight ½ each (Σ w = 1). */
    private static final List<Comparison> PAIRS = List.of(new Comparison(0, 1, 0.5, 0), new Comparison(2, 3, 0.5, 0));

    /**
     * DPO as a stage would run it: each row's sequence log-probability is the sum of its response tokens'
     * log-probabilities, and since every token of row i enters that sum with coefficient 1, dL/dlogp of each of
     * those tokens is dScores[i].
     */
    private static Function<HeadOutputs, Loss> dpoObjective(RolloutBatch b, double[] reference, double beta, boolean ipo) {
        return o -> {
            Losses.ScoreLoss s = Losses.dpo(RolloutMath.rowSums(b.ragged(o.logp())), reference, PAIRS, beta, ipo);
            return Loss.ofLogp(s.value(), b.flat(spread(b, s.dScores())));
        };
    }

    @Test
    void dpoAndIpoValueAndGradient() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 31, 0.4);
        RolloutBatch b = ObjectiveBatches.batch();
        HeadRequest request = HeadRequest.policy(b.targets(), 1.0, false);
        double[] seq = RolloutMath.rowSums(b.ragged(gpt.forward(request, b.tokens()).logp()));
        // the reference is the model minus offsets, so π − π_ref = offsets and h ≠ 0:
        //   h_01 = 0.8 − (−0.5) = 1.3,  h_23 = 1.3 − 0.2 = 1.1
        double[] offsets = {0.8, -0.5, 1.3, 0.2};
        double[] reference = new double[4];
        for (int i = 0; i < 4; i++) {
            reference[i] = seq[i] - offsets[i];
        }
        double h01 = (seq[0] - reference[0]) - (seq[1] - reference[1]);
        double h23 = (seq[2] - reference[2]) - (seq[3] - reference[3]);
        assertEquals(1.3, h01, 1e-12);
        assertEquals(1.1, h23, 1e-12);
        double beta = 0.5;
        for (boolean ipo : new boolean[] {false, true}) {
            Function<HeadOutputs, Loss> objective = dpoObjective(b, reference, beta, ipo);
            Gpt.Step step = gpt.forwardBackward(request, b.tokens(), objective);
            // DPO: ½·log(1 + e^(−β·h01)) + ½·log(1 + e^(−β·h23)) = ½·log(1 + e^−0.65) + ½·log(1 + e^−0.55)
            // IPO: ½·(h01 − 1/(2β))² + ½·(h23 − 1/(2β))² = ½·0.3² + ½·0.1² = 0.05
            double target = 1 / (2 * beta);
            double expected = ipo
                    ? 0.5 * (h01 - target) * (h01 - target) + 0.5 * (h23 - target) * (h23 - target)
                    : 0.5 * Math.log(1 + Math.exp(-beta * h01)) + 0.5 * Math.log(1 + Math.exp(-beta * h23));
            assertEquals(expected, step.loss().value(), 1e-12, "ipo " + ipo);
            assertEquals(ipo ? 0.05 : 0.5 * Math.log(1 + Math.exp(-0.65)) + 0.5 * Math.log(1 + Math.exp(-0.55)),
                    step.loss().value(), 1e-12, "ipo " + ipo);
            List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                    () -> objective.apply(gpt.forward(request, b.tokens())).value());
            assertTrue(bad.isEmpty(), "ipo " + ipo + ": " + bad.subList(0, Math.min(5, bad.size())));
        }
    }

    @Test
    void dpoAgainstItselfIsLog2() {
        // the reference is the policy's own sequence sums: every h is 0 and L = Σ w·log 2 = log 2
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 32, 0.4);
        RolloutBatch b = ObjectiveBatches.batch();
        HeadRequest request = HeadRequest.policy(b.targets(), 1.0, false);
        double[] own = RolloutMath.rowSums(b.ragged(gpt.forward(request, b.tokens()).logp()));
        Gpt.Step step = gpt.forwardBackward(request, b.tokens(), dpoObjective(b, own, 0.1, false));
        assertEquals(Math.log(2), step.loss().value(), 1e-12);
        // and the gradient the backward pass was seeded with is ∓β·w/2 = ∓0.025 on every response token
        double[][] seed = b.ragged(step.loss().dLogp());
        double[] perRow = {-0.025, 0.025, -0.025, 0.025};
        for (int i = 0; i < seed.length; i++) {
            for (double d : seed[i]) {
                assertEquals(perRow[i], d, 1e-15, "row " + i);
            }
        }
    }

    // ---------------------------------------------------------------- GRPO

    @Test
    void grpoValueAndGradient() {
        Gpt gpt = Gpt.create(SPEC, DataType.DOUBLE, 33, 0.4);
        RolloutBatch b = ObjectiveBatches.batch();
        HeadRequest request = HeadRequest.policy(b.targets(), 0.7, false);
        double[][] logp = b.ragged(gpt.forward(request, b.tokens()).logp());
        // old = logp + offset, so ρ = exp(−offset) ∈ {1.65, 1.11, 0.95, 0.74, 0.55}: inside and outside [0.8, 1.2]
        double[][] old = ObjectiveBatches.plus(logp, ObjectiveBatches.like(b, -0.5, -0.1, 0.05, 0.3, 0.6));
        // the reference on both sides of the policy, d = ref − logp ∈ {0.4, −0.25, 0.1, −0.6}
        double[][] ref = ObjectiveBatches.plus(logp, ObjectiveBatches.like(b, 0.4, -0.25, 0.1, -0.6));
        // GRPO gives one advantage per response, the same on each of its tokens
        double[][] adv = spread(b, new double[] {1.2, -0.8, 0.5, -1.0});
        double[][] weight = b.uniformWeights();
        for (double beta : new double[] {0.04, 0.0}) {
            Function<HeadOutputs, Loss> objective = o -> Losses.grpoPolicy(o.logp(), b.flat(old), b.flat(ref),
                    b.flat(adv), b.flat(weight), CLIP, beta);
            Gpt.Step step = gpt.forwardBackward(request, b.tokens(), objective);
            // Σ_n w_n · [−min(ρ·A, clip(ρ, 0.8, 1.2)·A) + β·(e^d − d − 1)]
            double expected = 0;
            int clipped = 0;
            for (int i = 0; i < adv.length; i++) {
                for (int j = 0; j < adv[i].length; j++) {
                    double r = Math.exp(logp[i][j] - old[i][j]);
                    double a = adv[i][j];
                    double surrogate = -Math.min(r * a, Math.max(1 - CLIP, Math.min(1 + CLIP, r)) * a);
                    double d = ref[i][j] - logp[i][j];
                    expected += weight[i][j] * (surrogate + beta * (Math.exp(d) - d - 1));
                    clipped += (a > 0 && r > 1 + CLIP) || (a < 0 && r < 1 - CLIP) ? 1 : 0;
                }
            }
            assertTrue(clipped > 2 && clipped < b.responseTokens() - 2, "both clipped and unclipped tokens: " + clipped);
            assertEquals(expected, step.loss().value(), 1e-12, "beta " + beta);
            List<GradientChecker.Mismatch> bad = GradientChecker.standard().check(gpt.params(), step.grads(),
                    () -> objective.apply(gpt.forward(request, b.tokens())).value());
            assertTrue(bad.isEmpty(), "beta " + beta + ": " + bad.subList(0, Math.min(5, bad.size())));
        }
    }
}
