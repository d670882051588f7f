package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rlhf4j.eval.judge.TextMetrics;

/** Bootstrap intervals: their width against the normal approximation, pairing, determinism; the gold table. */
class BootstrapTest {
    @Test
    void theIntervalOfAMeanMatchesTheNormalApproximation() {
        Random rng = new Random(1);
        double[] x = new double[400];
        for (int i = 0; i < x.length; i++) {
            x[i] = 10 + 2 * rng.nextGaussian();
        }
        Bootstrap.Interval ci = Bootstrap.mean(x, 5);
        double se = RankingMetrics.std(x) / Math.sqrt(x.length);
        assertEquals(RankingMetrics.mean(x), ci.estimate(), 1e-12);
        assertEquals(2 * 1.96 * se, ci.high() - ci.low(), 0.1 * 2 * 1.96 * se, "width of a 95% interval");
        assertTrue(ci.low() < ci.estimate() && ci.estimate() < ci.high());
        assertEquals(ci, Bootstrap.mean(x, 5), "same seed, same interval");
    }

    @Test
    void aConstantHasAPointIntervalAndQuantilesInterpolate() {
        Bootstrap.Interval ci = Bootstrap.mean(new double[] {3, 3, 3}, 1);
        assertEquals(new Bootstrap.Interval(3, 3, 3), ci);
        assertEquals(1.5, Bootstrap.quantile(new double[] {1, 2, 3}, 0.25), 1e-15);
        assertEquals(3.0, Bootstrap.quantile(new double[] {1, 2, 3}, 1.0), 1e-15);
    }

    @Test
    void pairingSeesASmallSteadyGainThatTheSeparateIntervalsHide() {
        // b is a plus 0.5 on every prompt, a varies a lot between prompts: the two means' intervals overlap,
        // the paired difference is 0.5 exactly
        Random rng = new Random(2);
        double[] a = new double[200];
        double[] b = new double[200];
        for (int i = 0; i < a.length; i++) {
            a[i] = 50 + 20 * rng.nextGaussian();
            b[i] = a[i] + 0.5;
        }
        Bootstrap.Interval ia = Bootstrap.mean(a, 3);
        Bootstrap.Interval ib = Bootstrap.mean(b, 3);
        assertTrue(ib.low() < ia.high(), "separate intervals overlap");
        Bootstrap.Interval d = Bootstrap.difference(b, a, 3);
        assertEquals(0.5, d.estimate(), 1e-12);
        assertEquals(0.5, d.low(), 1e-12);
        assertTrue(d.above(0));
        assertFalse(Bootstrap.difference(a, b, 3).above(0));
    }

    @Test
    void goldEvalScoresEachSystemAndItsDifferenceFromTheBaseline() {
        List<String> refs = List.of("He goes home.", "She has a cat.", "It is fine.");
        Map<String, GoldEval.PerPrompt> systems = new LinkedHashMap<>();
        systems.put("sft greedy", GoldEval.PerPrompt.chrF(List.of("He go home.", "She has a cat.", "It fine."), refs));
        systems.put("ppo greedy", GoldEval.PerPrompt.chrF(refs, refs));
        GoldEval g = GoldEval.of(systems, List.of("chrf"), "sft greedy", Map.of(), 9);
        assertEquals(3, g.prompts());
        assertEquals(List.of("chrf", GoldEval.EXACT_MATCH), g.measures());
        assertEquals(1 / 3.0, g.systems().get("sft greedy").get(GoldEval.EXACT_MATCH).estimate(), 1e-15);
        assertEquals(100.0, g.systems().get("ppo greedy").get("chrf").estimate(), 1e-9);
        Map<String, Bootstrap.Interval> d = g.differences().get("ppo greedy - sft greedy");
        double sftChrF = (TextMetrics.chrF("He go home.", refs.get(0)) + 100 + TextMetrics.chrF("It fine.", refs.get(2))) / 3;
        assertEquals(100 - sftChrF, d.get("chrf").estimate(), 1e-9);
        assertEquals(2 / 3.0, d.get(GoldEval.EXACT_MATCH).estimate(), 1e-15);
        // win rate by chrF: ppo wins prompts 1 and 3, ties prompt 2: (1 + 0.5 + 1) / 3; none by exact match
        assertEquals(2.5 / 3, g.winRates().get("ppo greedy vs sft greedy").get("chrf").estimate(), 1e-15);
        assertFalse(g.winRates().get("ppo greedy vs sft greedy").containsKey(GoldEval.EXACT_MATCH));
        assertTrue(g.table().contains("ppo greedy - sft greedy"), g.table());
        assertTrue(((Map<?, ?>) g.toMap().get("differences")).containsKey("ppo greedy - sft greedy"));
    }

    @Test
    void winRateCountsTiesHalfAndItsIntervalResamplesPrompts() {
        // outcomes by prompt: win, win, tie, loss, win -> (1 + 1 + 0.5 + 0 + 1) / 5 = 0.7
        double[] a = {3, 2, 1, 0, 5};
        double[] b = {1, 1, 1, 2, 4};
        Bootstrap.Interval w = Bootstrap.winRate(a, b, 4);
        assertEquals(0.7, w.estimate(), 1e-15);
        assertTrue(w.low() >= 0 && w.high() <= 1.0 + 1e-12 && w.low() < 0.7 && w.high() > 0.7, w.toString());
        // the same as the bootstrap mean of the outcomes themselves, with the same seed
        assertEquals(Bootstrap.mean(new double[] {1, 1, 0.5, 0, 1}, 4), w);
        // every prompt won: 1 with a degenerate interval; every prompt tied: exactly one half
        assertEquals(new Bootstrap.Interval(1, 1, 1), Bootstrap.winRate(new double[] {2, 2}, new double[] {1, 1}, 1));
        assertEquals(new Bootstrap.Interval(0.5, 0.5, 0.5), Bootstrap.winRate(new double[] {2, 2}, new double[] {2, 2}, 1));
    }
}
