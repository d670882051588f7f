package rlhf4j.stage.label;

import java.util.Arrays;

/**
 * A labeler's verdict on one {@link LabelTask}, in the ranking-file format: exactly one of {@code ranking}
 * (indices into the task's responses, best first, a permutation of all of them) or {@code scores} (one
 * finite number per response, higher is better).
 */
public record Judgement(int[] ranking, double[] scores) {

    public static Judgement ranking(int... ranking) {
        return new Judgement(ranking.clone(), null);
    }

    public static Judgement scores(double... scores) {
        return new Judgement(null, scores.clone());
    }

    /** What is wrong with this judgement of a task with {@code k} responses, or {@code null} when it is valid. */
    public String problem(int k) {
        if ((ranking == null) == (scores == null)) {
            return "give exactly one of \"ranking\" or \"scores\"";
        }
        if (ranking != null) {
            if (ranking.length != k) {
                return "\"ranking\" has " + ranking.length + " entries for " + k + " responses (it orders all of them)";
            }
            boolean[] seen = new boolean[k];
            for (int index : ranking) {
                if (index < 0 || index >= k) {
                    return "\"ranking\": index " + index + " is out of range (0.." + (k - 1) + ")";
                }
                if (seen[index]) {
                    return "\"ranking\" is not a permutation: index " + index + " appears twice";
                }
                seen[index] = true;
            }
            return null;
        }
        if (scores.length != k) {
            return "\"scores\" has " + scores.length + " entries for " + k + " responses (one each)";
        }
        for (double s : scores) {
            if (!Double.isFinite(s)) {
                return "\"scores\" must be finite numbers, got " + s;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Judgement j && Arrays.equals(ranking, j.ranking) && Arrays.equals(scores, j.scores);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ranking) + Arrays.hashCode(scores);
    }

    @Override
    public String toString() {
        return ranking != null ? "ranking " + Arrays.toString(ranking) : "scores " + Arrays.toString(scores);
    }
}
