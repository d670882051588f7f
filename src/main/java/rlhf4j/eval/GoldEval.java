package rlhf4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labeler's own measure of several systems answering the same prompts: per system the mean chrF and exact
 * match against the references with 95% bootstrap intervals over prompts, and for each system but the baseline
 * the paired difference from the baseline with its interval (above 0: better than the baseline beyond the
 * resampling noise of these prompts). What the reward model and PPO are for, judged by the labeler rather than by
 * the reward model.
 */
public record GoldEval(int prompts, String baseline, Map<String, Scores> systems, Map<String, Scores> differences) {

    /** One system's (or difference's) mean chrF and exact match, each with its interval. */
    public record Scores(Bootstrap.Interval chrF, Bootstrap.Interval exactMatch) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("chrf", chrF.toMap());
            m.put("exact_match", exactMatch.toMap());
            return m;
        }
    }

    /** A system's answers scored prompt by prompt: chrF [n] and exact match as 0/1 [n]. */
    public record PerPrompt(double[] chrF, double[] exact) {
        public static PerPrompt of(List<String> answers, List<String> references) {
            int n = answers.size();
            double[] c = new double[n];
            double[] e = new double[n];
            for (int i = 0; i < n; i++) {
                c[i] = TextMetrics.chrF(answers.get(i), references.get(i));
                e[i] = TextMetrics.exactMatch(answers.get(i), references.get(i)) ? 1 : 0;
            }
            return new PerPrompt(c, e);
        }
    }

    /** The positions of the prompts that have a reference completion, the ones the labeler's measure can score. */
    public static List<Integer> withReference(List<rlhf4j.data.PromptExample> prompts) {
        List<Integer> scored = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).reference() != null) {
                scored.add(i);
            }
        }
        return scored;
    }

    /** @param systems in display order; {@code baseline} must be one of them */
    public static GoldEval of(Map<String, PerPrompt> systems, String baseline, long seed) {
        PerPrompt base = systems.get(baseline);
        if (base == null) {
            throw new IllegalArgumentException("baseline " + baseline + " is not among " + systems.keySet());
        }
        Map<String, Scores> scores = new LinkedHashMap<>();
        Map<String, Scores> diffs = new LinkedHashMap<>();
        for (Map.Entry<String, PerPrompt> e : systems.entrySet()) {
            PerPrompt p = e.getValue();
            scores.put(e.getKey(), new Scores(Bootstrap.mean(p.chrF(), seed), Bootstrap.mean(p.exact(), seed + 1)));
            if (!e.getKey().equals(baseline)) {
                diffs.put(e.getKey() + " - " + baseline, new Scores(Bootstrap.difference(p.chrF(), base.chrF(), seed + 2),
                        Bootstrap.difference(p.exact(), base.exact(), seed + 3)));
            }
        }
        return new GoldEval(base.chrF().length, baseline, scores, diffs);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts", prompts);
        m.put("measure", "chrF (0-100) and exact match (0-1) against the reference completions; 95% percentile "
                + "bootstrap intervals over prompts (" + Bootstrap.RESAMPLES + " resamples), differences paired by prompt");
        Map<String, Object> s = new LinkedHashMap<>();
        systems.forEach((k, v) -> s.put(k, v.toMap()));
        m.put("systems", s);
        Map<String, Object> d = new LinkedHashMap<>();
        differences.forEach((k, v) -> d.put(k, v.toMap()));
        m.put("differences", d);
        return m;
    }

    /** A console table: one line per system and per difference. */
    public String table() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("gold (%d prompts)        chrF [95%% CI]            exact match [95%% CI]", prompts));
        systems.forEach((k, v) -> lines.add(row(k, v, false)));
        differences.forEach((k, v) -> lines.add(row(k, v, true)));
        return String.join("\n", lines);
    }

    private static String row(String name, Scores s, boolean signed) {
        String f = signed ? "%+6.2f [%+6.2f, %+6.2f]" : "%6.2f [%6.2f, %6.2f]";
        String g = signed ? "%+6.1f%% [%+6.1f, %+6.1f]" : "%6.1f%% [%6.1f, %6.1f]";
        return String.format("  %-24s " + f + "   " + g, name, s.chrF().estimate(), s.chrF().low(), s.chrF().high(),
                100 * s.exactMatch().estimate(), 100 * s.exactMatch().low(), 100 * s.exactMatch().high());
    }
}
