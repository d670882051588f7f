package rlhf4j.eval;

import java.util.HashMap;
import java.util.Map;

/**
 * Task metrics for generated text against a reference: exact match (after trimming) and chrF
 * (character n-gram F-score, n = 1..6, β = 2, whitespace ignored, as sacreBLEU computes it; 0–100).
 */
public final class TextMetrics {
    private static final int MAX_ORDER = 6;
    private static final double BETA = 2.0;

    private TextMetrics() {}

    public static boolean exactMatch(String hypothesis, String reference) {
        return hypothesis.strip().equals(reference.strip());
    }

    public static double chrF(String hypothesis, String reference) {
        String hyp = hypothesis.replaceAll("\\s+", "");
        String ref = reference.replaceAll("\\s+", "");
        if (hyp.isEmpty() && ref.isEmpty()) {
            return 100.0;
        }
        if (hyp.isEmpty() || ref.isEmpty()) {
            return 0.0;
        }
        double precisionSum = 0;
        double recallSum = 0;
        int orders = 0;
        for (int n = 1; n <= MAX_ORDER; n++) {
            Map<String, Integer> h = ngrams(hyp, n);
            Map<String, Integer> r = ngrams(ref, n);
            int hypTotal = h.values().stream().mapToInt(Integer::intValue).sum();
            int refTotal = r.values().stream().mapToInt(Integer::intValue).sum();
            if (hypTotal == 0 || refTotal == 0) {
                continue;
            }
            int match = 0;
            for (Map.Entry<String, Integer> e : h.entrySet()) {
                match += Math.min(e.getValue(), r.getOrDefault(e.getKey(), 0));
            }
            precisionSum += (double) match / hypTotal;
            recallSum += (double) match / refTotal;
            orders++;
        }
        if (orders == 0) {
            return 0.0;
        }
        double p = precisionSum / orders;
        double r = recallSum / orders;
        if (p + r == 0) {
            return 0.0;
        }
        double b2 = BETA * BETA;
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
