package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
        systems.put("sft greedy", GoldEval.PerPrompt.of(List.of("He go home.", "She has a cat.", "It fine."), refs));
        systems.put("ppo greedy", GoldEval.PerPrompt.of(refs, refs));
        GoldEval g = GoldEval.of(systems, "sft greedy", 9);
        assertEquals(3, g.prompts());
        assertEquals(1 / 3.0, g.systems().get("sft greedy").exactMatch().estimate(), 1e-15);
        assertEquals(100.0, g.systems().get("ppo greedy").chrF().estimate(), 1e-9);
        GoldEval.Scores d = g.differences().get("ppo greedy - sft greedy");
        double sftChrF = (TextMetrics.chrF("He go home.", refs.get(0)) + 100 + TextMetrics.chrF("It fine.", refs.get(2))) / 3;
        assertEquals(100 - sftChrF, d.chrF().estimate(), 1e-9);
        assertEquals(2 / 3.0, d.exactMatch().estimate(), 1e-15);
        assertTrue(g.table().contains("ppo greedy - sft greedy"), g.table());
        assertTrue(((Map<?, ?>) g.toMap().get("differences")).containsKey("ppo greedy - sft greedy"));
    }
}
