package rlhf4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Temperature, top-k and top-p against distributions worked out by hand for the logits (2, 1, 0, −1):
 * softmax e^z / Σ e^z = (0.64391, 0.23688, 0.08714, 0.03206); at temperature 2, (0.45505, 0.27600,
 * 0.16741, 0.10154). A draw follows the renormalised kept probabilities (checked by frequencies over many
 * seeded draws), and the reported log-probability is the unfiltered temperature-scaled one.
 */
class TokenPickerTest {
    private static final double[] LOGITS = {2, 1, 0, -1};
    private static final double[] SOFTMAX = {0.6439142598879724, 0.23688281808991013, 0.08714431874203257,
        0.03205860328008499};

    private static double[] distribution(double temperature, int topK, double topP) {
        double[] scaled = new double[LOGITS.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = LOGITS[i] / temperature;
            max = Math.max(max, scaled[i]);
        }
        double sum = 0;
        for (double z : scaled) {
            sum += Math.exp(z - max);
        }
        return TokenPicker.kept(scaled, max + Math.log(sum), new SamplingParams(temperature, topK, topP, 1))
                .renormalised(LOGITS.length);
    }

    @Test
    void noFilterIsTheSoftmax() {
        assertArrayEquals(SOFTMAX, distribution(1.0, 0, 1.0), 1e-12);
    }

    @Test
    void temperatureFlattens() {
        assertArrayEquals(new double[] {0.4550542339234112, 0.27600434470659363, 0.16740509727844333,
            0.1015363240915518}, distribution(2.0, 0, 1.0), 1e-12);
    }

    @Test
    void topKKeepsTheKMostLikelyRenormalised() {
        // the two largest: 0.64391 / 0.88080 = σ(1) and 0.23688 / 0.88080 = 1 − σ(1)
        assertArrayEquals(new double[] {0.7310585786300049, 0.2689414213699951, 0, 0}, distribution(1.0, 2, 1.0), 1e-12);
        assertArrayEquals(new double[] {1, 0, 0, 0}, distribution(1.0, 1, 1.0), 0.0);
    }

    @Test
    void topPKeepsTheSmallestSetThatReachesP() {
        // cumulative 0.64391, 0.88080, 0.96794, 1: p = 0.6 keeps one token, 0.8 two, 0.9 three
        assertArrayEquals(new double[] {1, 0, 0, 0}, distribution(1.0, 0, 0.6), 0.0);
        assertArrayEquals(new double[] {0.7310585786300049, 0.2689414213699951, 0, 0}, distribution(1.0, 0, 0.8), 1e-12);
        assertArrayEquals(new double[] {0.665240955774822, 0.24472847105479767, 0.09003057317038046, 0},
                distribution(1.0, 0, 0.9), 1e-12);
        // both filters: top-k 3 then top-p 0.8 → two tokens
        assertArrayEquals(new double[] {0.7310585786300049, 0.2689414213699951, 0, 0}, distribution(1.0, 3, 0.8), 1e-12);
    }

    @Test
    void drawsFollowTheFilteredDistribution() {
        Random rng = new Random(11);
        int n = 40_000;
        for (SamplingParams params : new SamplingParams[] {new SamplingParams(1.0, 0, 1.0, 1),
            new SamplingParams(1.0, 2, 1.0, 1), new SamplingParams(1.0, 0, 0.9, 1), new SamplingParams(2.0, 0, 1.0, 1)}) {
            double[] want = distribution(params.temperature(), params.topK(), params.topP());
            int[] counts = new int[LOGITS.length];
            for (int i = 0; i < n; i++) {
                TokenPicker.Pick pick = TokenPicker.pick(LOGITS, params, rng);
                counts[pick.token()]++;
                // the reported log-probability is the temperature-scaled one, before any filter
                double logZ = Math.log(java.util.Arrays.stream(LOGITS).map(z -> Math.exp(z / params.temperature())).sum());
                assertEquals(LOGITS[pick.token()] / params.temperature() - logZ, pick.logProb(), 1e-12);
            }
            for (int t = 0; t < LOGITS.length; t++) {
                double freq = counts[t] / (double) n;
                // 5 standard errors of a frequency over 40,000 draws is at most 0.0125
                assertEquals(want[t], freq, 0.0125, params + " token " + t);
                if (want[t] == 0) {
                    assertEquals(0, counts[t], params + ": a filtered-out token was drawn");
                }
            }
        }
    }

    @Test
    void greedyIsTheArgmaxWithItsSoftmaxLogProb() {
        TokenPicker.Pick pick = TokenPicker.pick(new double[] {0.5, 3.0, 3.0 - 1e-9, -2}, SamplingParams.greedy(1),
                new Random(1));
        assertEquals(1, pick.token());
        TokenPicker.Pick first = TokenPicker.pick(LOGITS, SamplingParams.greedy(1), new Random(1));
        assertEquals(0, first.token());
        assertEquals(Math.log(SOFTMAX[0]), first.logProb(), 1e-12);
        assertTrue(first.logProb() < 0);
    }
}
