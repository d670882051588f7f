package rlhf4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Every loss by hand: values worked out on paper, derivatives by hand where the numbers are small and by
 * central differences of the loss itself everywhere else (points chosen off the kinks).
 */
class LossesTest {
    private static final double TOL = 1e-12;

    /** Central differences of f with respect to each entry of x. */
    private static double[] numeric(double[] x, ToDoubleFunction<double[]> f) {
        double h = 1e-6;
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone();
            double[] minus = x.clone();
            plus[i] += h;
            minus[i] -= h;
            g[i] = (f.applyAsDouble(plus) - f.applyAsDouble(minus)) / (2 * h);
        }
        return g;
    }

    @Test
    void weights() {
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5}, Losses.meanWeights(new double[] {0, 1, 0, 1}), 0.0);
        assertArrayEquals(new double[] {0, 0}, Losses.meanWeights(new double[] {0, 0}), 0.0);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, Losses.uniformWeights(4), 0.0);
    }

    @Test
    void lmIsTheMeanNllOfTheMaskedInTokens() {
        double[] logp = {-1.0, -2.0, -0.5, -4.0};
        double[] w = Losses.meanWeights(new double[] {1, 0, 1, 1});
        Loss loss = Losses.lm(logp, w);
        assertEquals((1.0 + 0.5 + 4.0) / 3, loss.value(), TOL);
        assertArrayEquals(new double[] {-1 / 3.0, 0, -1 / 3.0, -1 / 3.0}, loss.dLogp(), TOL);
        assertNull(loss.dValues());
        assertThrows(IllegalArgumentException.class, () -> Losses.lm(logp, new double[3]));
    }

    @Test
    void rankingOfThreeByHand() {
        // r = (2, 0.5, −1) ranked 0 > 1 > 2: z = 1.5, 3, 1.5 for the pairs (0,1), (0,2), (1,2), each weight 1/3
        List<Losses.Comparison> pairs = List.of(new Losses.Comparison(0, 1, 1 / 3.0, 0),
                new Losses.Comparison(0, 2, 1 / 3.0, 0), new Losses.Comparison(1, 2, 1 / 3.0, 0));
        Losses.ScoreLoss loss = Losses.ranking(new double[] {2.0, 0.5, -1.0}, pairs);
        double nll15 = 0.2014132779827524;            // log(1 + e^−1.5)
        double nll3 = 0.04858735157374206;            // log(1 + e^−3)
        assertEquals((2 * nll15 + nll3) / 3, loss.value(), 1e-14);
        // dL/dr_i = Σ over its pairs: −σ(−z)/3 on the better side, +σ(−z)/3 on the worse
        double s15 = 0.18242552380635635;             // σ(−1.5)
        double s3 = 0.04742587317756678;              // σ(−3)
        assertArrayEquals(new double[] {-(s15 + s3) / 3, (s15 - s15) / 3, (s3 + s15) / 3}, loss.dScores(), 1e-14);
    }

    @Test
    void rankingWithMarginsAndExtremeScores() {
        List<Losses.Comparison> pairs = List.of(new Losses.Comparison(1, 0, 0.5, 0.7), new Losses.Comparison(2, 0, 0.5, 0));
        double[] r = {0.3, -1.2, 2.5};
        Losses.ScoreLoss loss = Losses.ranking(r, pairs);
        assertEquals(0.5 * Losses.pairNll(-1.2 - 0.3 - 0.7) + 0.5 * Losses.pairNll(2.5 - 0.3), loss.value(), TOL);
        assertArrayEquals(numeric(r, x -> Losses.ranking(x, pairs).value()), loss.dScores(), 1e-8);
        // no overflow: far on either side of the pair
        assertEquals(Math.log(2), Losses.pairNll(0), 1e-15);
        assertEquals(1000.0, Losses.pairNll(-1000), 1e-12);
        assertEquals(0.0, Losses.pairNll(1000), 1e-300);
        Losses.ScoreLoss far = Losses.ranking(new double[] {1e4, -1e4}, List.of(new Losses.Comparison(1, 0, 1, 0)));
        assertEquals(2e4, far.value(), 1e-9);
        assertArrayEquals(new double[] {1, -1}, far.dScores(), 0.0);
    }

    // ---------------------------------------------------------------- PPO policy

    @Test
    void clippedSurrogateByHand() {
        double eps = 0.2;   // clip(ρ) ∈ [0.8, 1.2]
        // ρ=1.5, A=2:  ρA = 3,   clip·A = 1.2·2 = 2.4,   min = 2.4   → loss −2.4
        assertEquals(-2.4, Losses.clippedSurrogate(1.5, 2.0, eps), TOL);
        // ρ=0.5, A=2:  ρA = 1,   clip·A = 0.8·2 = 1.6,   min = 1     → loss −1
        assertEquals(-1.0, Losses.clippedSurrogate(0.5, 2.0, eps), TOL);
        // ρ=0.5, A=−2: ρA = −1,  clip·A = 0.8·−2 = −1.6, min = −1.6  → loss 1.6
        assertEquals(1.6, Losses.clippedSurrogate(0.5, -2.0, eps), TOL);
        // ρ=1.5, A=−2: ρA = −3,  clip·A = 1.2·−2 = −2.4, min = −3    → loss 3
        assertEquals(3.0, Losses.clippedSurrogate(1.5, -2.0, eps), TOL);
        // ρ=1.1 inside the range, A=2: both terms 2.2 → loss −2.2
        assertEquals(-2.2, Losses.clippedSurrogate(1.1, 2.0, eps), TOL);
        assertEquals(0.0, Losses.clippedSurrogate(3.0, 0.0, eps), 0.0);
        assertThrows(IllegalArgumentException.class, () -> Losses.clippedSurrogate(1.0, 1.0, -0.1));
    }

    @Test
    void ppoPolicyByHand() {
        // two tokens, weights ½: ρ_0 = e^0.5 = 1.6487 with A = 2 is clipped (loss −1.2·2), ρ_1 = e^−0.1 with A = −1
        // is not (loss −ρ·A = ρ); entropies 1.5 and 0.5 with c_H = 0.1
        double[] logp = {-1.0, -2.1};
        double[] old = {-1.5, -2.0};
        double[] adv = {2.0, -1.0};
        double[] w = {0.5, 0.5};
        double[] h = {1.5, 0.5};
        Loss loss = Losses.ppoPolicy(logp, h, old, adv, w, 0.2, 0.1);
        double r1 = Math.exp(-0.1);
        assertEquals(0.5 * -2.4 + 0.5 * r1 - 0.1 * (0.5 * 1.5 + 0.5 * 0.5), loss.value(), TOL);
        // d/d logp_1 of −w·A·ρ = −w·A·ρ = 0.5·ρ; the clipped token has none
        assertArrayEquals(new double[] {0, 0.5 * r1}, loss.dLogp(), TOL);
        assertArrayEquals(new double[] {-0.05, -0.05}, loss.dEntropy(), TOL);
        assertNull(Losses.ppoPolicy(logp, null, old, adv, w, 0.2, 0.0).dEntropy(), "no entropy term at c_H = 0");
    }

    @Test
    void ppoPolicyGradientMatchesCentralDifferences() {
        double[] logp = {-0.3, -1.1, -2.0, -0.7, -1.6, -0.05};
        double[] old = {-0.8, -1.0, -2.4, -0.2, -1.65, -0.5};   // ρ = 1.65, 0.90, 1.49, 0.61, 1.05, 1.57
        double[] adv = {1.0, -0.5, -2.0, 0.7, 1.5, -1.0};
        double[] w = {0.1, 0.2, 0.1, 0.3, 0.2, 0.1};
        double[] h = {1.2, 0.4, 2.2, 0.9, 0.3, 1.1};
        Loss loss = Losses.ppoPolicy(logp, h, old, adv, w, 0.2, 0.05);
        assertArrayEquals(numeric(logp, x -> Losses.ppoPolicy(x, h, old, adv, w, 0.2, 0.05).value()), loss.dLogp(), 1e-8);
        assertArrayEquals(numeric(h, x -> Losses.ppoPolicy(logp, x, old, adv, w, 0.2, 0.05).value()), loss.dEntropy(), 1e-8);
    }

    // ---------------------------------------------------------------- PPO value

    @Test
    void clippedValueLossByHand() {
        double eps = 0.2;
        // v=1, v_old=0.5, R=1.5: (v−R)² = 0.25; v_old + clip(0.5) − R = 0.5 + 0.2 − 1.5 = −0.8 → 0.64
        //   ½·max(0.25, 0.64) = 0.32 (the clipped term is worse, so it counts)
        assertEquals(0.32, Losses.clippedValueLoss(1.0, 0.5, 1.5, eps), TOL);
        // v=1, v_old=0.5, R=0: (v−R)² = 1; 0.5 + 0.2 − 0 = 0.7 → 0.49;  ½·max(1, 0.49) = 0.5
        assertEquals(0.5, Losses.clippedValueLoss(1.0, 0.5, 0.0, eps), TOL);
        // v=0.6 within 0.2 of v_old=0.5, R=2: both terms (−1.4)² = 1.96 → 0.98
        assertEquals(0.98, Losses.clippedValueLoss(0.6, 0.5, 2.0, eps), TOL);
        // v=0, v_old=0.5, R=−1: v − v_old = −0.5 → −0.2; 0.3 − (−1) = 1.3 → 1.69; (0 + 1)² = 1
        //   ½·max(1, 1.69) = 0.845
        assertEquals(0.845, Losses.clippedValueLoss(0.0, 0.5, -1.0, eps), TOL);
        // ε_v = 0: the clipped value is v_old itself. v=1, v_old=0, R=0.5: ½·max(0.25, 0.25) = 0.125
        assertEquals(0.125, Losses.clippedValueLoss(1.0, 0.0, 0.5, 0.0), 0.0);
        assertThrows(IllegalArgumentException.class, () -> Losses.clippedValueLoss(1, 1, 1, -1));
    }

    @Test
    void clippedValueByHandAndByCentralDifferences() {
        // token 0: the clipped error is the larger and the clip is active → no gradient (0.32 case above);
        // token 1: the plain error is the larger → vf·w·(v − R) = 0.5·0.5·1 (0.5 case above)
        Loss two = Losses.clippedValue(new double[] {1.0, 1.0}, new double[] {0.5, 0.5}, new double[] {1.5, 0.0},
                new double[] {0.5, 0.5}, 0.2, 0.5);
        assertEquals(0.5 * 0.5 * (0.32 + 0.5), two.value(), TOL);
        assertArrayEquals(new double[] {0, 0.25}, two.dValues(), TOL);
        double[] v = {0.3, -0.4, 1.2, 0.05, 2.0};
        double[] old = {0.0, -0.3, 0.5, 0.1, 2.3};   // moves 0.3, −0.1, 0.7, −0.05, −0.3: clipped and not
        double[] ret = {1.0, -2.0, 0.0, 0.6, 1.0};
        double[] w = {0.2, 0.2, 0.2, 0.2, 0.2};
        Loss loss = Losses.clippedValue(v, old, ret, w, 0.2, 0.5);
        assertArrayEquals(numeric(v, x -> Losses.clippedValue(x, old, ret, w, 0.2, 0.5).value()), loss.dValues(), 1e-8);
    }
}
