package rlhf4j.stage.label;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import rlhf4j.eval.judge.JudgeScores;

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

    /**
     * The judgement a JSON object holds: {@code {"ranking": [indices]}} or {@code {"scores": [numbers]}} (other keys
     * are ignored). The shape is checked here, the values against a task by {@link #problem}; a wrong shape is an
     * {@link IllegalArgumentException} saying what is wrong.
     */
    public static Judgement of(JsonNode node) {
        JsonNode ranking = node == null ? null : node.get("ranking");
        JsonNode scores = node == null ? null : node.get("scores");
        if (node == null || !node.isObject() || (ranking == null) == (scores == null)) {
            throw new IllegalArgumentException("expected {\"ranking\": [...]} or {\"scores\": [...]}");
        }
        if (scores != null) {
            return scores(JudgeScores.read(scores));
        }
        if (!ranking.isArray()) {
            throw new IllegalArgumentException("\"ranking\" must be a list");
        }
        int[] r = new int[ranking.size()];
        for (int i = 0; i < r.length; i++) {
            JsonNode v = ranking.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new IllegalArgumentException("\"ranking\" entries must be indices, got " + v);
            }
            r[i] = v.intValue();
        }
        return ranking(r);
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
        return JudgeScores.problem(scores, k);
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
