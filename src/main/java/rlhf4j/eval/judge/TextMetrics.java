package rlhf4j.eval.judge;

import java.util.HashMap;
import java.util.Map;

/**
 * Task metrics for generated text against a reference: exact match (after trimming) and chrF
 * (character n-gram F-score, n = 1..6, β = 2, whitespace ignored, as sacreBLEU computes it by default;
 * 0–100; {@code TextMetricsTest} checks it against sacreBLEU's own test values).
 */
public final class TextMetrics {
    private static final int MAX_ORDER = 6;
    private static final double BETA = 2.0;

    private TextMetrics() {}

    public static boolean exactMatch(String hypothesis, String reference) {
        return hypothesis.strip().equals(reference.strip());
    }

    /** chrF as the stages report it: sacreBLEU's default (β = 2, precision and recall averaged over the orders both sides have). */
    public static double chrF(String hypothesis, String reference) {
        return chrF(hypothesis, reference, BETA, false);
    }

    /**
     * chrF in either of sacreBLEU's two averagings: by default ({@code epsSmoothing} false) the precisions and the
     * recalls are averaged over the n-gram orders that both strings have, then combined into one F-score; with
     * {@code epsSmoothing} (chrF++.py's and NLTK's way) an F-score is computed per order, an order missing on
     * either side counting as ε = 1e-16, and the six are averaged.
     */
    static double chrF(String hypothesis, String reference, double beta, boolean epsSmoothing) {
        String hyp = hypothesis.replaceAll("\\s+", "");
        String ref = reference.replaceAll("\\s+", "");
        if (!epsSmoothing && hyp.isEmpty() && ref.isEmpty()) {
            return 100.0;
        }
        double b2 = beta * beta;
        double eps = 1e-16;
        double precisionSum = 0;
        double recallSum = 0;
        double fSum = 0;
        int orders = 0;
        for (int n = 1; n <= MAX_ORDER; n++) {
            Map<String, Integer> h = ngrams(hyp, n);
            Map<String, Integer> r = ngrams(ref, n);
            int hypTotal = h.values().stream().mapToInt(Integer::intValue).sum();
            int refTotal = r.values().stream().mapToInt(Integer::intValue).sum();
            int match = 0;
            for (Map.Entry<String, Integer> e : h.entrySet()) {
                match += Math.min(e.getValue(), r.getOrDefault(e.getKey(), 0));
            }
            if (epsSmoothing) {
                double p = hypTotal > 0 ? (double) match / hypTotal : eps;
                double rc = refTotal > 0 ? (double) match / refTotal : eps;
                double denom = b2 * p + rc;
                fSum += denom > 0 ? (1 + b2) * p * rc / denom : eps;
                continue;
            }
            if (hypTotal == 0 || refTotal == 0) {
                continue;
            }
            precisionSum += (double) match / hypTotal;
            recallSum += (double) match / refTotal;
            orders++;
        }
        if (epsSmoothing) {
            return 100.0 * fSum / MAX_ORDER;
        }
        if (orders == 0) {
            return 0.0;
        }
        double p = precisionSum / orders;
        double r = recallSum / orders;
        if (p + r == 0) {
            return 0.0;
        }
        return 100.0 * (1 + b2) * p * r / (b2 * p + r);
    }

    private static Map<String, Integer> ngrams(String s, int n) {
        Map<String, Integer> counts = new HashMap<>();
        int[] cps = s.codePoints().toArray();
        for (int i = 0; i + n <= cps.length; i++) {
            counts.merge(new String(cps, i, n), 1, Integer::sum);
        }
        return counts;
    }
}
