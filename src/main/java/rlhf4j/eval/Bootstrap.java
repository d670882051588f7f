package rlhf4j.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Percentile bootstrap intervals over prompts: {@code resamples} times, n prompts are drawn with replacement from
 * the n scored ones and the mean recomputed; the interval holds the middle {@code level} of those means. A paired
 * difference resamples the prompts once for both systems (each draw keeps a prompt's two scores together), which
 * is what makes a small difference between two systems answering the same prompts measurable. Seeded: the same
 * scores and seed give the same interval.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;
    public static final double LEVEL = 0.95;

    private Bootstrap() {}

    /** A point estimate and its interval. */
    public record Interval(double estimate, double low, double high) {
        public boolean above(double x) {
            return low > x;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("value", estimate);
            m.put("ci95", List.of(low, high));
            return m;
        }
    }

    /** The mean of {@code x} [n] and its interval. */
    public static Interval mean(double[] x, long seed) {
        return difference(x, new double[x.length], seed);
    }

    /** The mean of {@code a − b} (paired by index, [n] each) and its interval. */
    public static Interval difference(double[] a, double[] b, long seed) {
        int n = a.length;
        if (n == 0 || b.length != n) {
            throw new IllegalArgumentException("need the same positive number of paired scores");
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a[i] - b[i];
        }
        double[] means = new double[RESAMPLES];
        Random rng = new Random(seed);
        for (int r = 0; r < RESAMPLES; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += d[rng.nextInt(n)];
            }
            means[r] = s / n;
        }
        Arrays.sort(means);
        double tail = (1 - LEVEL) / 2;
        return new Interval(RankingMetrics.mean(d), quantile(means, tail), quantile(means, 1 - tail));
    }

    /**
     * How often system a beats system b prompt by prompt, ties counting half, and its interval: the mean of the
     * per-prompt outcomes (1 win, ½ tie, 0 loss) over {@code a} and {@code b} [n] each, resampled by prompt.
     */
    public static Interval winRate(double[] a, double[] b, long seed) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("need the same number of paired scores");
        }
        double[] outcome = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            outcome[i] = a[i] > b[i] ? 1 : a[i] == b[i] ? 0.5 : 0;
        }
        return mean(outcome, seed);
    }

    /** The q-quantile of sorted values, linear between neighbours. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
