package rlhf4j.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a reward model ranks preference pairs: the pairwise loss {@code mean −log σ(r_c − r_r − margin)}
 * and accuracy (share with {@code r_c > r_r}; a tie counts as wrong) from the raw scores, the trained
 * objective; the mean margin {@code r_c − r_r} and the reward mean and standard deviation (population)
 * of each side after the given normalisation, the units PPO sees.
 */
public record PairMetrics(int pairs, double loss, double accuracy, double margin, double chosenMean,
                          double chosenStd, double rejectedMean, double rejectedStd) {

    /** The metric names, in column order; {@link #asMap} prefixes them. */
    public static final String[] NAMES = {"loss", "accuracy", "margin", "chosen_mean", "chosen_std", "rejected_mean",
        "rejected_std"};

    /**
     * @param chosen   raw scores of the chosen responses [P]
     * @param rejected raw scores of the rejected responses [P]
     * @param margin   required margin per pair [P] (0 when the data gives none)
     */
    public static PairMetrics of(double[] chosen, double[] rejected, double[] margin, RewardNorm norm) {
        int p = chosen.length;
        if (rejected.length != p || margin.length != p || p == 0) {
            throw new IllegalArgumentException("need the same positive number of chosen, rejected and margins");
        }
        double loss = 0;
        int correct = 0;
        double[] c = new double[p];
        double[] r = new double[p];
        for (int i = 0; i < p; i++) {
            loss += nll(chosen[i] - rejected[i] - margin[i]);
            correct += chosen[i] > rejected[i] ? 1 : 0;
            c[i] = norm.apply(chosen[i]);
            r[i] = norm.apply(rejected[i]);
        }
        double sumMargin = 0;
        for (int i = 0; i < p; i++) {
            sumMargin += c[i] - r[i];
        }
        return new PairMetrics(p, loss / p, correct / (double) p, sumMargin / p, mean(c), std(c), mean(r), std(r));
    }

    /** −log σ(z) = softplus(−z), without overflow: max(0, −z) + log(1 + e^{−|z|}). */
    public static double nll(double z) {
        return Math.max(0, -z) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** Population standard deviation (divides by n). */
    public static double std(double[] x) {
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / x.length);
    }

    /** {@code prefix + name → value} in {@link #NAMES} order, e.g. {@code val_accuracy}. */
    public Map<String, Double> asMap(String prefix) {
        double[] values = {loss, accuracy, margin, chosenMean, chosenStd, rejectedMean, rejectedStd};
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.length; i++) {
            m.put(prefix + NAMES[i], values[i]);
        }
        return m;
    }

    /** {@code pairs} then the metrics by name, for JSON files and {@code ./train eval}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", pairs);
        m.putAll(asMap(""));
        return m;
    }
}
