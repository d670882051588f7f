package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RolloutMath} and {@link KlEstimator} on numbers worked by hand; the arithmetic is in the comments.
 * Sums of dyadic fractions (halves, quarters, ...) are exact in binary, so those are compared exactly.
 */
class RolloutMathTest {
    private static final double TOL = 1e-12;

    // ---------------------------------------------------------------- KL per token

    @Test
    void klK1IsLogRatio() {
        double[][] logp = {{-1.0, -2.0}, {-0.5}};   // [B=2][L_b]
        double[][] ref = {{-1.5, -1.0}, {-0.5}};    // [B=2][L_b]
        double[][] before = deepCopy(logp);
        double[][] refBefore = deepCopy(ref);
        // k1 = logp − ref: −1 − (−1.5) = 0.5; −2 − (−1) = −1 (a single token may be negative); −0.5 − (−0.5) = 0
        double[][] kl = RolloutMath.klPerToken(logp, ref, KlEstimator.K1);
        assertRowsEqual(new double[][] {{0.5, -1.0}, {0.0}}, kl, 0.0);
        assertRowsEqual(before, logp, 0.0);
        assertRowsEqual(refBefore, ref, 0.0);
    }

    @Test
    void klK3HandComputed() {
        double[][] logp = {{-1.0, -2.0}, {-0.5}};
        double[][] ref = {{-1.5, -1.0}, {-0.5}};
        // d = ref − logp = {−0.5, 1.0}, {0}
        // k3(−0.5) = e^−0.5 − 1 + 0.5 = 0.6065306597126334 − 0.5 = 0.1065306597126334
        // k3(1.0)  = e^1 − 1 − 1     = 2.718281828459045 − 2  = 0.718281828459045
        // k3(0)    = 1 − 1 − 0       = 0
        double[][] kl = RolloutMath.klPerToken(logp, ref, KlEstimator.K3);
        assertRowsEqual(new double[][] {{0.1065306597126334, 0.718281828459045}, {0.0}}, kl, TOL);
    }

    @Test
    void klK3IsNonNegativeAndSecondOrderForSmallGaps() {
        // k3(d) = d²/2 + d³/6 + ...: for d = 1e−8 that is 5.0000000167e−17. Computed as exp(d) − 1 − d,
        // exp(d) rounds to a multiple of 2.2e−16 near 1 and the answer is lost; expm1 keeps it.
        double[][] kl = RolloutMath.klPerToken(new double[][] {{0.0}}, new double[][] {{1e-8}}, KlEstimator.K3);
        assertEquals(5.0000000166666667e-17, kl[0][0], 1e-23);
        // never negative over a sweep of gaps d = ref − logp in [−2π, 2π]
        double[][] logp = new double[1][401];
        double[][] ref = new double[1][401];
        for (int i = 0; i <= 400; i++) {
            logp[0][i] = -3.0;
            ref[0][i] = -3.0 + (i - 200) * 0.01 * Math.PI;   // d in [−2π, 2π]
        }
        for (double v : RolloutMath.klPerToken(logp, ref, KlEstimator.K3)[0]) {
            assertTrue(v >= 0.0, "k3 must be ≥ 0, got " + v);
        }
    }

    @Test
    void klShapesMustMatch() {
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.klPerToken(new double[][] {{1, 2}}, new double[][] {{1}}, KlEstimator.K1));
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.klPerToken(new double[][] {{1}}, new double[][] {{1}, {2}}, KlEstimator.K1));
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.klPerToken(new double[][] {{}}, new double[][] {{}}, KlEstimator.K1));
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.klPerToken(new double[0][], new double[0][], KlEstimator.K1));
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.klPerToken(new double[][] {{1}}, new double[][] {{1}}, null));
    }

    @Test
    void estimatorParse() {
        assertEquals(KlEstimator.K1, KlEstimator.parse("k1"));
        assertEquals(KlEstimator.K1, KlEstimator.parse("K1"));
        assertEquals(KlEstimator.K3, KlEstimator.parse("k3"));
        assertEquals(KlEstimator.K3, KlEstimator.parse("K3"));
        for (String bad : new String[] {"k2", "", "kl", " k1", "k1 ", "abs"}) {
            assertThrows(IllegalArgumentException.class, () -> KlEstimator.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> KlEstimator.parse(null));
    }

    // ---------------------------------------------------------------- rewards

    @Test
    void rewardsPenaliseKlAndAddScoreOnLastToken() {
        double[][] kl = {{0.5, -1.0, 2.0}, {0.25}};   // [B=2][L_b]
        double[] scores = {3.0, -1.0};                 // [B]
        double[][] klBefore = deepCopy(kl);
        // β = 0.1: −β·kl = {−0.05, 0.1, −0.2}, {−0.025}; scores go on the last tokens:
        // row 0: −0.2 + 3 = 2.8;  row 1 (one token, so also its last): −0.025 − 1 = −1.025
        double[][] r = RolloutMath.rewards(kl, 0.1, scores);
        assertRowsEqual(new double[][] {{-0.05, 0.1, 2.8}, {-1.025}}, r, 1e-15);
        assertRowsEqual(klBefore, kl, 0.0);
        assertArrayEquals(new double[] {3.0, -1.0}, scores);
    }

    @Test
    void rewardsWithZeroBetaAreTheScoreOnly() {
        double[][] r = RolloutMath.rewards(new double[][] {{7.0, -7.0, 1.0}}, 0.0, new double[] {0.75});
        assertRowsEqual(new double[][] {{0.0, 0.0, 0.75}}, r, 0.0);
    }

    @Test
    void rewardsNeedOneScorePerRow() {
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.rewards(new double[][] {{1}, {2}}, 0.1, new double[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.rewards(new double[][] {{1}}, 0.1, null));
    }

    // ---------------------------------------------------------------- GAE

    @Test
    void gaeThreeTokensByHandDefaults() {
        // γ = 1, λ = 0.95; row 0 has 3 tokens, row 1 a single token.
        double[][] rewards = {{0.1, -0.2, 1.0}, {2.0}};   // [B=2][L_b]
        double[][] values = {{0.5, 0.25, 0.75}, {0.5}};   // [B=2][L_b]
        double[][] rBefore = deepCopy(rewards);
        double[][] vBefore = deepCopy(values);
        // row 0, from the end (V_3 = 0, A_3 = 0):
        //   t=2: δ = 1.0 + 1·0 − 0.75     = 0.25   A = 0.25
        //   t=1: δ = −0.2 + 1·0.75 − 0.25 = 0.3    A = 0.3 + 0.95·0.25    = 0.3 + 0.2375     = 0.5375
        //   t=0: δ = 0.1 + 1·0.25 − 0.5   = −0.15  A = −0.15 + 0.95·0.5375 = −0.15 + 0.510625 = 0.360625
        //   R = A + V = {0.860625, 0.7875, 1.0}
        // row 1: δ = 2.0 − 0.5 = 1.5 = A;  R = 1.5 + 0.5 = 2.0
        RolloutMath.Gae g = RolloutMath.gae(rewards, values, 1.0, 0.95);
        assertRowsEqual(new double[][] {{0.360625, 0.5375, 0.25}, {1.5}}, g.advantages(), TOL);
        assertRowsEqual(new double[][] {{0.860625, 0.7875, 1.0}, {2.0}}, g.returns(), TOL);
        assertRowsEqual(rBefore, rewards, 0.0);
        assertRowsEqual(vBefore, values, 0.0);
    }

    @Test
    void gaeThreeTokensByHandDiscounted() {
        // γ = 0.5, λ = 0.5 (γλ = 0.25); every number is dyadic, so the result is exact.
        double[][] rewards = {{1.0, 0.0, 2.0}};
        double[][] values = {{1.0, 2.0, 4.0}};
        //   t=2: δ = 2 + 0.5·0 − 4 = −2                 A = −2
        //   t=1: δ = 0 + 0.5·4 − 2 = 0                  A = 0 + 0.25·(−2)   = −0.5
        //   t=0: δ = 1 + 0.5·2 − 1 = 1                  A = 1 + 0.25·(−0.5) = 0.875
        //   R = A + V = {1.875, 1.5, 2.0}
        RolloutMath.Gae g = RolloutMath.gae(rewards, values, 0.5, 0.5);
        assertRowsEqual(new double[][] {{0.875, -0.5, -2.0}}, g.advantages(), 0.0);
        assertRowsEqual(new double[][] {{1.875, 1.5, 2.0}}, g.returns(), 0.0);
    }

    @Test
    void gaeWithLambdaOneGivesRewardToGo() {
        // γ = λ = 1: A_t = Σ_{k≥t} r_k − V_t, so R_t is the plain reward-to-go whatever V is.
        double[][] rewards = {{0.1, -0.2, 1.0}};
        double[][] values = {{0.5, 0.25, 0.75}};
        RolloutMath.Gae g = RolloutMath.gae(rewards, values, 1.0, 1.0);
        // reward-to-go: 0.1 − 0.2 + 1 = 0.9;  −0.2 + 1 = 0.8;  1.0
        assertRowsEqual(new double[][] {{0.9, 0.8, 1.0}}, g.returns(), TOL);
        assertRowsEqual(new double[][] {{0.4, 0.55, 0.25}}, g.advantages(), TOL);
    }

    @Test
    void gaeWithLambdaZeroIsOneStepTd() {
        // λ = 0: A_t = δ_t.  γ = 1, same data as above: δ = {−0.15, 0.3, 0.25}
        RolloutMath.Gae g = RolloutMath.gae(new double[][] {{0.1, -0.2, 1.0}}, new double[][] {{0.5, 0.25, 0.75}}, 1.0, 0.0);
        assertRowsEqual(new double[][] {{-0.15, 0.3, 0.25}}, g.advantages(), TOL);
    }

    @Test
    void gaeRowsAreIndependent() {
        double[][] rewards = {{0.1, -0.2, 1.0}, {2.0}};
        double[][] values = {{0.5, 0.25, 0.75}, {0.5}};
        RolloutMath.Gae both = RolloutMath.gae(rewards, values, 1.0, 0.95);
        RolloutMath.Gae first = RolloutMath.gae(new double[][] {rewards[0]}, new double[][] {values[0]}, 1.0, 0.95);
        RolloutMath.Gae second = RolloutMath.gae(new double[][] {rewards[1]}, new double[][] {values[1]}, 1.0, 0.95);
        assertArrayEquals(first.advantages()[0], both.advantages()[0]);
        assertArrayEquals(second.advantages()[0], both.advantages()[1]);
        assertArrayEquals(first.returns()[0], both.returns()[0]);
        assertArrayEquals(second.returns()[0], both.returns()[1]);
    }

    @Test
    void gaeShapesMustMatch() {
        assertThrows(IllegalArgumentException.class,
                () -> RolloutMath.gae(new double[][] {{1, 2}}, new double[][] {{1, 2, 3}}, 1.0, 0.95));
    }

    // ---------------------------------------------------------------- whitening

    @Test
    void whitenByHandUsesUnbiasedVarianceOverAllTokens() {
        double[][] x = {{1.0, 2.0}, {3.0}};   // [B=2][L_b]
        double[][] before = deepCopy(x);
        // n = 3, μ = (1+2+3)/3 = 2, Σ(x−μ)² = 1 + 0 + 1 = 2, σ² = 2/(3−1) = 1
        // y = (x − 2)/√(1 + 1e−8);  1/√(1 + 1e−8) = 1 − 5e−9 + ... = 0.999999995
        double s = 0.999999995;
        double[][] y = RolloutMath.whiten(x, true);
        assertRowsEqual(new double[][] {{-s, 0.0}, {s}}, y, 1e-15);
        // shiftMean = false adds μ = 2 back: {2 − s, 2}, {2 + s}
        double[][] z = RolloutMath.whiten(x, false);
        assertRowsEqual(new double[][] {{2 - s, 2.0}, {2 + s}}, z, 1e-15);
        assertRowsEqual(before, x, 0.0);
        assertNotSame(x, y);
    }

    @Test
    void whitenDividesByNMinusOne() {
        // x = {0, 4}: μ = 2, Σ(x−μ)² = 8, σ² = 8/(2−1) = 8 (a population variance would be 4)
        // y = ±2/√8 = ±1/√2 = ±0.7071067811865475 (±1 with the population variance)
        double[][] y = RolloutMath.whiten(new double[][] {{0.0, 4.0}}, true);
        assertRowsEqual(new double[][] {{-0.7071067811865475, 0.7071067811865475}}, y, 1e-9);
    }

    @Test
    void whitenSingleTokenHasZeroVariance() {
        // n = 1: σ² = 0, y = (3.5 − 3.5)/√1e−8 = 0, or 3.5 with the mean kept
        assertRowsEqual(new double[][] {{0.0}}, RolloutMath.whiten(new double[][] {{3.5}}, true), 0.0);
        assertRowsEqual(new double[][] {{3.5}}, RolloutMath.whiten(new double[][] {{3.5}}, false), 0.0);
    }

    @Test
    void whitenedBatchHasMeanZeroAndUnitVariance() {
        Random rng = new Random(11);
        double[][] x = new double[5][];
        for (int b = 0; b < x.length; b++) {
            x[b] = new double[1 + rng.nextInt(7)];
            for (int t = 0; t < x[b].length; t++) {
                x[b][t] = 3.0 + 2.5 * rng.nextGaussian();
            }
        }
        double[][] y = RolloutMath.whiten(x, true);
        int n = 0;
        double sq = 0;
        for (double[] row : y) {
            for (double v : row) {
                sq += v * v;
                n++;
            }
        }
        assertEquals(0.0, RolloutMath.mean(y), 1e-12);
        assertEquals(1.0, sq / (n - 1), 1e-8);   // unbiased variance 1 (up to the 1e−8 epsilon)
        // without the mean shift the mean stays, the spread is the same
        double[][] z = RolloutMath.whiten(x, false);
        assertEquals(RolloutMath.mean(x), RolloutMath.mean(z), 1e-12);
        for (int b = 0; b < x.length; b++) {
            for (int t = 0; t < x[b].length; t++) {
                assertEquals(y[b][t] + RolloutMath.mean(x), z[b][t], 1e-12);
            }
        }
    }

    // ---------------------------------------------------------------- explained variance

    @Test
    void explainedVarianceByHand() {
        double[][] returns = {{1.0, 2.0}, {3.0}};
        // Var(R) (population) = ((1−2)² + 0 + (3−2)²)/3 = 2/3
        // V = {1.5, 2}, {2.5}: R − V = {−0.5, 0, 0.5}, Var = (0.25 + 0 + 0.25)/3 = 1/6
        // EV = 1 − (1/6)/(2/3) = 1 − 1/4 = 0.75
        assertEquals(0.75, RolloutMath.explainedVariance(new double[][] {{1.5, 2.0}, {2.5}}, returns), TOL);
        // perfect values: R − V = 0 → EV = 1
        assertEquals(1.0, RolloutMath.explainedVariance(returns, returns), 0.0);
        // a constant offset costs nothing: R − V = −1 everywhere, Var = 0 → EV = 1
        assertEquals(1.0, RolloutMath.explainedVariance(new double[][] {{2.0, 3.0}, {4.0}}, returns), 0.0);
        // predicting the mean (2): R − V = R − 2, Var(R − V) = Var(R) → EV = 0
        assertEquals(0.0, RolloutMath.explainedVariance(new double[][] {{2.0, 2.0}, {2.0}}, returns), TOL);
        // worse than the mean: V = {3, 2}, {1}: R − V = {−2, 0, 2}, Var = 8/3 → EV = 1 − (8/3)/(2/3) = −3
        assertEquals(-3.0, RolloutMath.explainedVariance(new double[][] {{3.0, 2.0}, {1.0}}, returns), TOL);
    }

    @Test
    void explainedVarianceOfConstantReturnsIsNaN() {
        // 0.1 is not dyadic: (0.1+0.1+0.1)/3 = 0.10000000000000002 ≠ 0.1, yet Var(R) must be exactly 0
        double ev = RolloutMath.explainedVariance(new double[][] {{0.0, 1.0}, {2.0}}, new double[][] {{0.1, 0.1}, {0.1}});
        assertTrue(Double.isNaN(ev), "expected NaN, got " + ev);
    }

    // ---------------------------------------------------------------- mean and row sums

    @Test
    void meanIsOverTokensAndRowSumsPerRow() {
        double[][] x = {{1.0, 2.0}, {3.0, 4.0, 5.0}};
        // token mean = 15/5 = 3 (the mean of row means would be (1.5 + 4)/2 = 2.75)
        assertEquals(3.0, RolloutMath.mean(x), 0.0);
        // row sums: 1 + 2 = 3; 3 + 4 + 5 = 12
        assertArrayEquals(new double[] {3.0, 12.0}, RolloutMath.rowSums(x), 0.0);
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.mean(new double[][] {{1.0}, {}}));
    }

    // ---------------------------------------------------------------- per-token statistics

    @Test
    void isClippedWhereTheClippedTermIsStrictlySmaller() {
        double eps = 0.2;
        assertTrue(RolloutMath.isClipped(1.5, 2.0, eps));
        assertFalse(RolloutMath.isClipped(0.5, 2.0, eps));
        assertTrue(RolloutMath.isClipped(0.5, -2.0, eps));
        assertFalse(RolloutMath.isClipped(1.5, -2.0, eps));
        assertFalse(RolloutMath.isClipped(1.1, 2.0, eps));
        assertFalse(RolloutMath.isClipped(3.0, 0.0, eps));
        assertFalse(RolloutMath.isClipped(0.1, 0.0, eps));
        // on the boundary the two terms are equal: not strictly smaller, so not clipped
        assertFalse(RolloutMath.isClipped(1.0 + eps, 1.0, eps));
        assertFalse(RolloutMath.isClipped(1.0 - eps, -1.0, eps));
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.isClipped(1.0, 1.0, Double.NaN));
    }

    @Test
    void approxKlByHand() {
        // ½·(−1 − (−1.5))² = ½·0.25 = 0.125, symmetric in its arguments, 0 when equal
        assertEquals(0.125, RolloutMath.approxKl(-1.0, -1.5), 0.0);
        assertEquals(0.125, RolloutMath.approxKl(-1.5, -1.0), 0.0);
        assertEquals(0.0, RolloutMath.approxKl(-2.25, -2.25), 0.0);
    }

    // ---------------------------------------------------------------- helpers

    private static double[][] deepCopy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int b = 0; b < x.length; b++) {
            c[b] = x[b].clone();
        }
        return c;
    }

    private static void assertRowsEqual(double[][] expected, double[][] actual, double tol) {
        assertEquals(expected.length, actual.length, "rows");
        for (int b = 0; b < expected.length; b++) {
            assertArrayEquals(expected[b], actual[b], tol, "row " + b);
        }
    }
}
