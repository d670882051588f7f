package rlhf4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.data.RankingExample;
import rlhf4j.loss.Losses;

/**
 * How a reward model orders a labeler's rankings (a preference pair is a ranking of two). From the raw scores,
 * the trained objective: {@code loss}, the mean over rankings of the mean {@code −log σ(r_w − r_l − margin)}
 * over each ranking's pairs (w judged better than l); {@code accuracy}, the share of all pairs with
 * {@code r_w > r_l} (a tie counts as wrong); {@code top1}, the share of rankings whose highest-scored response
 * is one the labeler put first (it loses no pair); {@code kendall_tau}, the mean over rankings of
 * (concordant − discordant) / pairs, which is Kendall's τ-a for a full ranking and {@code 2·accuracy − 1}
 * for a pair. After the given normalisation, the units PPO sees: {@code margin}, the mean {@code r_w − r_l}
 * over pairs, and the reward mean and standard deviation (population) of the labeler's best
 * ({@code chosen_*}) and worst ({@code rejected_*}) response of each ranking. Rankings without a pair (all
 * scores equal) do not count.
 */
public record RankingMetrics(int rankings, int pairs, double loss, double accuracy, double top1, double kendallTau,
                             double margin, double chosenMean, double chosenStd, double rejectedMean,
                             double rejectedStd) {

    /** The metric names, in column order; {@link #asMap} prefixes them. */
    public static final String[] NAMES = {"loss", "accuracy", "top1", "kendall_tau", "margin", "chosen_mean",
        "chosen_std", "rejected_mean", "rejected_std"};

    /**
     * @param rankings the labeler's rankings
     * @param raw      raw scores, one array per ranking, one score per response
     */
    public static RankingMetrics of(List<RankingExample> rankings, List<double[]> raw, RewardNorm norm) {
        if (rankings.size() != raw.size()) {
            throw new IllegalArgumentException("one score array per ranking");
        }
        double loss = 0;
        double tau = 0;
        int groups = 0;
        int pairs = 0;
        int correct = 0;
        int top = 0;
        double sumMargin = 0;
        List<Double> best = new ArrayList<>();
        List<Double> worst = new ArrayList<>();
        for (int g = 0; g < rankings.size(); g++) {
            RankingExample r = rankings.get(g);
            double[] s = raw.get(g);
            if (s.length != r.responses().size()) {
                throw new IllegalArgumentException("ranking " + g + ": " + s.length + " scores for "
                        + r.responses().size() + " responses");
            }
            if (r.pairs().isEmpty()) {
                continue;
            }
            groups++;
            double groupLoss = 0;
            int concordant = 0;
            for (RankingExample.Pair p : r.pairs()) {
                groupLoss += Losses.pairNll(s[p.better()] - s[p.worse()] - p.margin());
                concordant += s[p.better()] > s[p.worse()] ? 1 : 0;
                sumMargin += norm.apply(s[p.better()]) - norm.apply(s[p.worse()]);
            }
            int n = r.pairs().size();
            loss += groupLoss / n;
            tau += (2.0 * concordant - n) / n;
            pairs += n;
            correct += concordant;
            boolean[] lost = new boolean[s.length];
            for (RankingExample.Pair p : r.pairs()) {
                lost[p.worse()] = true;
            }
            int argmax = 0;
            for (int i = 1; i < s.length; i++) {
                argmax = s[i] > s[argmax] ? i : argmax;
            }
            top += lost[argmax] ? 0 : 1;
            best.add(norm.apply(s[r.best()]));
            worst.add(norm.apply(s[r.worst()]));
        }
        if (groups == 0) {
            throw new IllegalArgumentException("no ranking with a pair to score");
        }
        double[] c = best.stream().mapToDouble(Double::doubleValue).toArray();
        double[] w = worst.stream().mapToDouble(Double::doubleValue).toArray();
        return new RankingMetrics(groups, pairs, loss / groups, correct / (double) pairs, top / (double) groups,
                tau / groups, sumMargin / pairs, mean(c), std(c), mean(w), std(w));
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
        double[] values = {loss, accuracy, top1, kendallTau, margin, chosenMean, chosenStd, rejectedMean, rejectedStd};
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.length; i++) {
            m.put(prefix + NAMES[i], values[i]);
        }
        return m;
    }

    /** {@code rankings} and {@code pairs}, then the metrics by name, for JSON files and {@code ./train eval}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rankings", rankings);
        m.put("pairs", pairs);
        m.putAll(asMap(""));
        return m;
    }
}
