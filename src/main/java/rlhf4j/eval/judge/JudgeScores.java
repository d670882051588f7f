package rlhf4j.eval.judge;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A judge's {@code "scores"} for one question: one finite number per response, higher is better. The one definition
 * of what such a list must be, for the label stage's judgements and GRPO's command reward alike.
 */
public final class JudgeScores {
    private JudgeScores() {}

    /**
     * The numbers in {@code list} (the value of an answer's {@code "scores"}); a wrong shape is an
     * {@link IllegalArgumentException} saying what is wrong.
     */
    public static double[] read(JsonNode list) {
        if (!list.isArray()) {
            throw new IllegalArgumentException("\"scores\" must be a list");
        }
        double[] s = new double[list.size()];
        for (int i = 0; i < s.length; i++) {
            JsonNode v = list.get(i);
            if (!v.isNumber()) {
                throw new IllegalArgumentException("\"scores\" entries must be numbers, got " + v);
            }
            s[i] = v.doubleValue();
        }
        return s;
    }

    /** What is wrong with {@code scores} for a question with {@code k} responses, or {@code null} when they are valid. */
    public static String problem(double[] scores, int k) {
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
}
