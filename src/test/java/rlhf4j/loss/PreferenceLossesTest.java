package rlhf4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import rlhf4j.loss.Losses.Comparison;
import rlhf4j.loss.Losses.ScoreLoss;
import rlhf4j.rollout.RolloutMath;

/**
 * The preference-optimisation maths on plain arrays: {@link Losses#dpo} (DPO and IPO), {@link Losses#grpoPolicy}
 * with {@link Losses#k3}, and {@link RolloutMath#groupAdvantages}. Values and derivatives are worked out on paper
 * (the arithmetic is in the comments, the transcendental constants written out to 16 digits); where the inputs are
 * random the derivatives are checked by central differences of the value, at points off the clip kinks.
 */
class PreferenceLossesTest {
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

    private static double[] negate(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = -x[i];
        }
        return out;
    }

    // ---------------------------------------------------------------- DPO / IPO

    /**
     * Two prompts as the preference stage weights them, {@code w = 1 / (prompts · pairs of the prompt)}: prompt 1
     * ranks sequences 0 > 1 > 2 (three pairs, w = 1/6 each), prompt 2 has one pair 3 > 4 (w = 1/2). Σ w = 1.
     */
    private static List<Comparison> twoPrompts() {
        return List.of(new Comparison(0, 1, 1 / 6.0, 0), new Comparison(0, 2, 1 / 6.0, 0),
                new Comparison(1, 2, 1 / 6.0, 0), new Comparison(3, 4, 0.5, 0));
    }

    @Test
    void dpoAtTheReferenceIsLog2() {
        // π = π_ref: every h = 0, −log σ(0) = log 2, so L = Σ w · log 2 = log 2 with the weights summing to 1
        double[] seq = {-12.5, -3.25, -40.0, -7.0, -7.5};
        double beta = 0.2;
        ScoreLoss loss = Losses.dpo(seq, seq.clone(), twoPrompts(), beta, false);
        assertEquals(Math.log(2), loss.value(), 1e-15);
        // each pair contributes −w·β·σ(0) = −w·β/2 to its better and +w·β/2 to its worse sequence:
        //   seq 0 better twice (w 1/6):           −2 · β/12 = −β/6
        //   seq 1 worse once, better once:        +β/12 − β/12 = 0
        //   seq 2 worse twice:                    +β/6
        //   seq 3 / 4 (w 1/2):                    ∓β/4
        assertArrayEquals(new double[] {-beta / 6, 0, beta / 6, -beta / 4, beta / 4}, loss.dScores(), 1e-15);
    }

    @Test
    void dpoOnePairByHand() {
        // π = (−3, −5), π_ref = (−4, −4.5), β = 0.1, weight 1:
        //   h = (−3 − (−4)) − (−5 − (−4.5)) = 1 − (−0.5) = 1.5,  β·h = 0.15
        //   L = log(1 + e^−0.15) = log(1 + 0.8607079764250578) = 0.6209570477895321
        //   dπ_w = −β·σ(−0.15) = −0.1 · 1/(1 + e^0.15) = −0.1 · 0.46257015465625045 = −0.046257015465625045
        //   dπ_l = +0.046257015465625045
        double[] policy = {-3.0, -5.0};
        double[] reference = {-4.0, -4.5};
        ScoreLoss loss = Losses.dpo(policy, reference, List.of(new Comparison(0, 1, 1.0, 0)), 0.1, false);
        assertEquals(0.6209570477895321, loss.value(), TOL);
        assertArrayEquals(new double[] {-0.046257015465625045, 0.046257015465625045}, loss.dScores(), TOL);
        // the margin plays no part in DPO (only the reward model's ranking loss uses it)
        ScoreLoss withMargin = Losses.dpo(policy, reference, List.of(new Comparison(0, 1, 1.0, 0.7)), 0.1, false);
        assertEquals(loss.value(), withMargin.value(), 0.0);
        assertArrayEquals(loss.dScores(), withMargin.dScores(), 0.0);
        // the order of the pair matters: judged the other way round h = −1.5, L = log(1 + e^0.15) = 0.15 + 0.62096
        ScoreLoss flipped = Losses.dpo(policy, reference, List.of(new Comparison(1, 0, 1.0, 0)), 0.1, false);
        assertEquals(0.15 + 0.6209570477895321, flipped.value(), TOL);
    }

    @Test
    void dpoRankingOfThreeByHand() {
        // π = (−2, −3, −6), π_ref = (−2.5, −2, −4): π − π_ref = (0.5, −1, −2); ranked 0 > 1 > 2, C(3,2) = 3 pairs,
        // weight 1/3 each (the prompt counts once), β = 0.5
        //   h01 = 0.5 − (−1) = 1.5 → z = 0.75;  h02 = 0.5 − (−2) = 2.5 → z = 1.25;  h12 = −1 − (−2) = 1 → z = 0.5
        //   L = (log(1+e^−0.75) + log(1+e^−1.25) + log(1+e^−0.5)) / 3
        //     = (0.38687100611489994 + 0.2519290813453729 + 0.4740769841801067) / 3
        double[] policy = {-2.0, -3.0, -6.0};
        double[] reference = {-2.5, -2.0, -4.0};
        double w = 1 / 3.0;
        List<Comparison> ranked = List.of(new Comparison(0, 1, w, 0), new Comparison(0, 2, w, 0),
                new Comparison(1, 2, w, 0));
        ScoreLoss loss = Losses.dpo(policy, reference, ranked, 0.5, false);
        assertEquals((0.38687100611489994 + 0.2519290813453729 + 0.4740769841801067) / 3, loss.value(), TOL);
        // the derivative of a sequence sums over its pairs: −β·w·σ(−z) where it is better, +β·w·σ(−z) where worse
        //   σ(−0.75) = 0.320821300824607, σ(−1.25) = 0.22270013882530884, σ(−0.5) = 0.3775406687981454
        //   dπ_0 = −(0.5/3)·(σ(−0.75) + σ(−1.25))      (better in 01 and 02)
        //   dπ_1 = +(0.5/3)·(σ(−0.75) − σ(−0.5))       (worse in 01, better in 12)
        //   dπ_2 = +(0.5/3)·(σ(−1.25) + σ(−0.5))       (worse in 02 and 12)
        double s075 = 0.320821300824607;
        double s125 = 0.22270013882530884;
        double s05 = 0.3775406687981454;
        double k = 0.5 / 3;
        assertArrayEquals(new double[] {-k * (s075 + s125), k * (s075 - s05), k * (s125 + s05)}, loss.dScores(), TOL);
        // a ranking moves no total score: every pair adds +slope and −slope
        assertEquals(0.0, loss.dScores()[0] + loss.dScores()[1] + loss.dScores()[2], 1e-15);
    }

    @Test
    void ipoByHand() {
        // same pair as dpoOnePairByHand, h = 1.5, β = 0.1: the target is 1/(2β) = 5, gap = 1.5 − 5 = −3.5
        //   L = w·(−3.5)² = 0.5 · 12.25 = 6.125
        //   dπ_w = 2·w·gap = 2 · 0.5 · −3.5 = −3.5,  dπ_l = +3.5     (all exact in binary)
        double[] policy = {-3.0, -5.0};
        double[] reference = {-4.0, -4.5};
        ScoreLoss loss = Losses.dpo(policy, reference, List.of(new Comparison(0, 1, 0.5, 0)), 0.1, true);
        assertEquals(6.125, loss.value(), TOL);
        assertArrayEquals(new double[] {-3.5, 3.5}, loss.dScores(), TOL);
        // past the target the push reverses: π_w − π_ref,w = 9 makes h = 9.5, gap 4.5, L = 0.5 · 20.25, dπ_w = +4.5
        ScoreLoss past = Losses.dpo(new double[] {5.0, -5.0}, new double[] {-4.0, -4.5},
                List.of(new Comparison(0, 1, 0.5, 0)), 0.1, true);
        assertEquals(10.125, past.value(), TOL);
        assertArrayEquals(new double[] {4.5, -4.5}, past.dScores(), TOL);
        // at the reference (h = 0) IPO is not log 2 but Σ w·(1/(2β))²; with β = 0.25 and Σ w = 1 that is 2² = 4,
        // and the derivative −2·w·2 = −4w pulls every better sequence up
        double[] seq = {-1.0, -2.0, -3.0, -4.0, -5.0};
        ScoreLoss atRef = Losses.dpo(seq, seq.clone(), twoPrompts(), 0.25, true);
        assertEquals(4.0, atRef.value(), TOL);
        assertArrayEquals(new double[] {-8 / 6.0, 0, 8 / 6.0, -2, 2}, atRef.dScores(), TOL);
    }

    @Test
    void dpoAndIpoDerivativesMatchCentralDifferences() {
        Random rng = new Random(7);
        double[] policy = new double[6];
        double[] reference = new double[6];
        for (int i = 0; i < policy.length; i++) {
            policy[i] = -5 - 10 * rng.nextDouble();
            reference[i] = policy[i] + 2 * rng.nextGaussian();
        }
        // a ranking of three, a lone pair and a pair sharing sequence 5 with it, with uneven weights
        List<Comparison> cs = List.of(new Comparison(0, 1, 0.2, 0), new Comparison(0, 2, 0.1, 0),
                new Comparison(1, 2, 0.15, 0), new Comparison(3, 4, 0.3, 0.4), new Comparison(5, 4, 0.25, 0));
        for (boolean ipo : new boolean[] {false, true}) {
            for (double beta : new double[] {0.05, 0.3, 2.0}) {
                ScoreLoss loss = Losses.dpo(policy, reference, cs, beta, ipo);
                double[] byPolicy = numeric(policy, x -> Losses.dpo(x, reference, cs, beta, ipo).value());
                // IPO's value grows like (1/(2β))², so compare relative to the scale of the derivative
                double tol = 1e-7 * Math.max(1, maxAbs(loss.dScores()));
                assertArrayEquals(byPolicy, loss.dScores(), tol, "ipo " + ipo + " beta " + beta);
                // the reference enters h with the opposite sign: dL/dπ_ref = −dL/dπ
                double[] byReference = numeric(reference, x -> Losses.dpo(policy, x, cs, beta, ipo).value());
                assertArrayEquals(negate(loss.dScores()), byReference, tol, "ipo " + ipo + " beta " + beta);
            }
        }
    }

    private static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Test
    void dpoStaysFiniteFarFromTheReference() {
        // β = 1, h = ±800: e^800 overflows a double, so a naive log(1 + e^−z) or 1/(1 + e^z) would give ∞ or NaN.
        //   h = +800: L = log(1 + e^−800) ≈ 0 (underflows to 0), dπ_w = −σ(−800) ≈ 0
        //   h = −800: L = log(1 + e^800) = 800 + log(1 + e^−800) = 800, dπ_w = −σ(800) = −1
        List<Comparison> pair = List.of(new Comparison(0, 1, 1.0, 0));
        ScoreLoss won = Losses.dpo(new double[] {0, -800}, new double[] {0, 0}, pair, 1.0, false);
        assertEquals(0.0, won.value(), 1e-300);
        assertEquals(0.0, won.dScores()[0], 1e-300);
        assertEquals(0.0, won.dScores()[1], 1e-300);
        ScoreLoss lost = Losses.dpo(new double[] {-800, 0}, new double[] {0, 0}, pair, 1.0, false);
        assertEquals(800.0, lost.value(), TOL);
        assertArrayEquals(new double[] {-1, 1}, lost.dScores(), 0.0);
        // the same through a large β: h = 2, β = 400
        ScoreLoss bigBeta = Losses.dpo(new double[] {-2, 0}, new double[] {0, 0}, pair, 400, false);
        assertEquals(800.0, bigBeta.value(), TOL);
        assertArrayEquals(new double[] {-400, 400}, bigBeta.dScores(), 0.0);
    }

    @Test
    void dpoRejectsBadInputs() {
        List<Comparison> pair = List.of(new Comparison(0, 1, 1.0, 0));
        double[] two = {-1, -2};
        for (double beta : new double[] {0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> Losses.dpo(two, two, pair, beta, false), "beta " + beta);
            assertThrows(IllegalArgumentException.class, () -> Losses.dpo(two, two, pair, beta, true), "beta " + beta);
        }
        assertThrows(IllegalArgumentException.class, () -> Losses.dpo(two, new double[3], pair, 0.1, false));
    }

    // ---------------------------------------------------------------- GRPO

    // Three tokens, clip ε = 0.2 (ρ clipped to [0.8, 1.2]), β = 0.04, weights (¼, ½, ¼):
    //   t0: logp −1.0, old −1.5 → ρ = e^0.5 = 1.6487212707001282, A = 2    → A > 0, ρ > 1.2: clipped
    //       surrogate −min(ρ·2, 1.2·2) = −2.4, no surrogate gradient
    //       ref −0.5 → d = 0.5,  k3 = e^0.5 − 0.5 − 1 = 0.1487212707001282,  dk3/dlogp = 1 − e^0.5
    //   t1: logp −2.1, old −2.0 → ρ = e^−0.1 = 0.9048374180359595, A = −1 → inside [0.8, 1.2]
    //       surrogate −ρ·A = ρ, gradient −w·A·ρ = ½·ρ
    //       ref −2.4 → d = −0.3, k3 = e^−0.3 + 0.3 − 1 = 0.04081822068171792, dk3/dlogp = 1 − e^−0.3
    //   t2: logp −0.5, old −0.2 → ρ = e^−0.3 = 0.7408182206817179, A = −1.5 → A < 0, ρ < 0.8: clipped
    //       surrogate −min(ρ·(−1.5), 0.8·(−1.5)) = −min(−1.111, −1.2) = 1.2, no surrogate gradient
    //       ref −0.7 → d = −0.2, k3 = e^−0.2 + 0.2 − 1 = 0.018730753077981777, dk3/dlogp = 1 − e^−0.2
    private static final double[] LOGP = {-1.0, -2.1, -0.5};
    private static final double[] OLD = {-1.5, -2.0, -0.2};
    private static final double[] REF = {-0.5, -2.4, -0.7};
    private static final double[] ADV = {2.0, -1.0, -1.5};
    private static final double[] W = {0.25, 0.5, 0.25};
    private static final double E05 = 1.6487212707001282;     // e^0.5
    private static final double EM01 = 0.9048374180359595;    // e^−0.1
    private static final double EM02 = 0.8187307530779818;    // e^−0.2
    private static final double EM03 = 0.7408182206817179;    // e^−0.3

    @Test
    void grpoPolicyByHand() {
        double beta = 0.04;
        Loss loss = Losses.grpoPolicy(LOGP, OLD, REF, ADV, W, 0.2, beta);
        // L = ¼·(−2.4 + 0.04·0.14872) + ½·(0.90484 + 0.04·0.04082) + ¼·(1.2 + 0.04·0.01873)
        double expected = 0.25 * (-2.4 + beta * 0.1487212707001282)
                + 0.5 * (EM01 + beta * 0.04081822068171792)
                + 0.25 * (1.2 + beta * 0.018730753077981777);
        assertEquals(expected, loss.value(), TOL);
        // dL/dlogp = surrogate part + β·w·(1 − e^d); the KL term still pulls on the two clipped tokens
        //   t0: 0         + 0.04·¼·(1 − 1.64872) = −0.006487212707001282
        //   t1: ½·0.90484 + 0.04·½·(1 − 0.74082) =  0.45241870901797976 + 0.0051836355863656425
        //   t2: 0         + 0.04·¼·(1 − 0.81873) =  0.0018126924692201819
        double[] d = {beta * 0.25 * (1 - E05), 0.5 * EM01 + beta * 0.5 * (1 - EM03), beta * 0.25 * (1 - EM02)};
        assertArrayEquals(d, loss.dLogp(), TOL);
        assertNull(loss.dEntropy(), "GRPO has no entropy bonus");
        assertNull(loss.dValues(), "GRPO has no value head");
    }

    @Test
    void grpoAtBetaZeroIsPpoWithoutEntropy() {
        // the reference is far from the policy on purpose: at β = 0 it must not count at all
        double[] farRef = {-9.0, 3.0, -20.0};
        Loss grpo = Losses.grpoPolicy(LOGP, OLD, farRef, ADV, W, 0.2, 0.0);
        Loss ppo = Losses.ppoPolicy(LOGP, null, OLD, ADV, W, 0.2, 0);
        assertEquals(ppo.value(), grpo.value(), 0.0);
        assertArrayEquals(ppo.dLogp(), grpo.dLogp(), 0.0);
        // and that is the surrogate alone, by hand: ¼·(−2.4) + ½·e^−0.1 + ¼·1.2; gradient (0, ½·e^−0.1, 0)
        assertEquals(0.25 * -2.4 + 0.5 * EM01 + 0.25 * 1.2, grpo.value(), TOL);
        assertArrayEquals(new double[] {0, 0.5 * EM01, 0}, grpo.dLogp(), TOL);
    }

    @Test
    void grpoZeroWeightTokensCountForNothing() {
        // a fourth token with weight 0 (padding, or a masked-out token) whose ratio is inside the clip range and
        // whose reference is far away: both terms would give it a gradient if the weight were not honoured
        double[] logp = {-1.0, -2.1, -0.5, -1.0};
        double[] old = {-1.5, -2.0, -0.2, -1.05};
        double[] ref = {-0.5, -2.4, -0.7, -4.0};
        double[] adv = {2.0, -1.0, -1.5, 3.0};
        double[] w = {0.25, 0.5, 0.25, 0.0};
        Loss four = Losses.grpoPolicy(logp, old, ref, adv, w, 0.2, 0.04);
        Loss three = Losses.grpoPolicy(LOGP, OLD, REF, ADV, W, 0.2, 0.04);
        assertEquals(three.value(), four.value(), 0.0);
        assertEquals(0.0, four.dLogp()[3], 0.0);
        for (int n = 0; n < 3; n++) {
            assertEquals(three.dLogp()[n], four.dLogp()[n], 0.0);
        }
    }

    @Test
    void grpoGradientMatchesCentralDifferences() {
        Random rng = new Random(3);
        int n = 12;
        double[] logp = new double[n];
        double[] old = new double[n];
        double[] ref = new double[n];
        double[] adv = new double[n];
        double[] w = Losses.uniformWeights(n);
        int clipped = 0;
        for (int i = 0; i < n; i++) {
            logp[i] = -0.2 - 3 * rng.nextDouble();
            // log-ratio in ±0.6, kept 0.02 away from the clip edges log 0.8 and log 1.2 (central differences
            // straddling a kink would measure half of each side)
            double lr;
            do {
                lr = 1.2 * rng.nextDouble() - 0.6;
            } while (Math.abs(lr - Math.log(0.8)) < 0.02 || Math.abs(lr - Math.log(1.2)) < 0.02);
            old[i] = logp[i] - lr;
            ref[i] = logp[i] + rng.nextGaussian();
            adv[i] = rng.nextGaussian();
            clipped += Losses.isClipped(Math.exp(lr), adv[i], 0.2) ? 1 : 0;
        }
        assertTrue(clipped > 0 && clipped < n, "clipped and unclipped tokens: " + clipped);
        for (double beta : new double[] {0.04, 0.5}) {
            Loss loss = Losses.grpoPolicy(logp, old, ref, adv, w, 0.2, beta);
            assertArrayEquals(numeric(logp, x -> Losses.grpoPolicy(x, old, ref, adv, w, 0.2, beta).value()),
                    loss.dLogp(), 1e-8, "beta " + beta);
            // the KL term alone: the difference to β = 0 is Σ w·β·k3(ref − logp), whose central differences
            // must equal the difference of the two analytic derivatives, β·w·(1 − e^d)
            Loss surrogate = Losses.grpoPolicy(logp, old, ref, adv, w, 0.2, 0.0);
            double[] klAnalytic = new double[n];
            for (int i = 0; i < n; i++) {
                klAnalytic[i] = loss.dLogp()[i] - surrogate.dLogp()[i];
            }
            double[] klNumeric = numeric(logp, x -> {
                double kl = 0;
                for (int i = 0; i < n; i++) {
                    kl += w[i] * beta * (Math.exp(ref[i] - x[i]) - (ref[i] - x[i]) - 1);
                }
                return kl;
            });
            assertArrayEquals(klNumeric, klAnalytic, 1e-8, "beta " + beta);
        }
    }

    @Test
    void k3ByHandAndForSmallD() {
        assertEquals(0.0, Losses.k3(0.0), 0.0);
        // e^0.5 − 0.5 − 1 = 1.6487212707001282 − 1.5;  e^−0.3 + 0.3 − 1 = 0.7408182206817179 − 0.7
        assertEquals(0.1487212707001282, Losses.k3(0.5), 1e-15);
        assertEquals(0.04081822068171792, Losses.k3(-0.3), 1e-15);
        // for small d, k3 = d²/2 + d³/6 + ... : d = 1e-8 gives 5.0000000167e-17. e^d − d − 1 computed naively
        // loses it entirely (e^1e-8 has an ulp of 2.2e-16); through expm1 it keeps ~8 digits
        assertEquals(5.0000000166666667e-17, Losses.k3(1e-8), 1e-23);
        assertEquals(5.0e-17 - 1.6666666e-25, Losses.k3(-1e-8), 1e-23);
        // never negative (it is a KL estimate), either side of 0
        for (double d = -5; d <= 5; d += 0.125) {
            assertTrue(Losses.k3(d) >= 0, "k3(" + d + ")");
        }
    }

    // ---------------------------------------------------------------- group advantages

    @Test
    void groupAdvantagesByHand() {
        double[] rewards = {1, 2, 3, 5, 5, 5};
        double[] copy = rewards.clone();
        // group 1 (1, 2, 3): mean 2, deviations (−1, 0, 1), sample variance (1 + 0 + 1)/(3 − 1) = 1, std 1
        //   advantages (r − 2)/(1 + 1e-4) = (−1/1.0001, 0, 1/1.0001)
        // group 2 (5, 5, 5): all equal → 0 everywhere, and it is the one flat group
        RolloutMath.GroupAdvantages g = RolloutMath.groupAdvantages(rewards, 3, true);
        double a = 1 / (1 + 1e-4);
        assertArrayEquals(new double[] {-a, 0, a, 0, 0, 0}, g.advantages(), 1e-15);
        assertEquals(1, g.flatGroups());
        // Dr. GRPO (scale = false): r − mean alone
        RolloutMath.GroupAdvantages unscaled = RolloutMath.groupAdvantages(rewards, 3, false);
        assertArrayEquals(new double[] {-1, 0, 1, 0, 0, 0}, unscaled.advantages(), 1e-15);
        assertEquals(1, unscaled.flatGroups());
        assertArrayEquals(copy, rewards, 0.0);
    }

    @Test
    void groupAdvantagesUseTheSampleStdOfEachGroupOnItsOwn() {
        // G = 4. group 1 (0, 0, 0, 4): mean 1, deviations (−1, −1, −1, 3), Σ² = 12, sample variance 12/3 = 4,
        //   std 2 → (−1, −1, −1, 3)/2.0001 (the population std √3 would give 3/1.7321 = 1.73 for the last)
        // group 2 (10, 20, 10, 20): mean 15, deviations ±5, Σ² = 100, variance 100/3, std 5.773502691896258
        //   → ±5/5.773602691896258 (group 1's mean and std play no part)
        double[] rewards = {0, 0, 0, 4, 10, 20, 10, 20};
        RolloutMath.GroupAdvantages g = RolloutMath.groupAdvantages(rewards, 4, true);
        double s1 = 2.0001;
        double s2 = 5.773502691896258 + 1e-4;
        assertArrayEquals(new double[] {-1 / s1, -1 / s1, -1 / s1, 3 / s1, -5 / s2, 5 / s2, -5 / s2, 5 / s2},
                g.advantages(), 1e-12);
        assertEquals(0, g.flatGroups());
        assertArrayEquals(new double[] {-1, -1, -1, 3, -5, 5, -5, 5},
                RolloutMath.groupAdvantages(rewards, 4, false).advantages(), 1e-12);
    }

    @Test
    void flatGroupsAreExactlyZero() {
        // (0.9 + 0.9 + 0.9)/3 summed as 0.9/3 three times is 0.8999999999999999, so r − mean = 1.1e-16 and, scaled
        // by 1/(std + 1e-4), 1.1e-12: a flat group must give exactly 0, not that rounding noise
        double[] rewards = {0.9, 0.9, 0.9, 0.3, 0.3, 0.3, 1.0, 0.0, 0.5};
        for (boolean scale : new boolean[] {true, false}) {
            RolloutMath.GroupAdvantages g = RolloutMath.groupAdvantages(rewards, 3, scale);
            for (int i = 0; i < 6; i++) {
                assertEquals(0.0, g.advantages()[i], 0.0, "scale " + scale + " index " + i);
            }
            assertEquals(2, g.flatGroups());
        }
    }

    @Test
    void groupAdvantagesRejectBadGroupSizes() {
        double[] six = new double[6];
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.groupAdvantages(new double[7], 3, true));
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.groupAdvantages(six, 4, true));
        // a group of one has no spread to compare against
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.groupAdvantages(six, 1, true));
        // 0 and negative sizes are refused, not a division by zero or an empty loop
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.groupAdvantages(six, 0, false));
        assertThrows(IllegalArgumentException.class, () -> RolloutMath.groupAdvantages(six, -3, false));
    }
}
