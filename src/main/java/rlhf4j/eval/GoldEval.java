package rlhf4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.judge.Judge;
import rlhf4j.eval.judge.TextMetrics;

/**
 * The judges' verdict on several systems answering the same prompts, judged by the labeler's own measure and by
 * any other judge rather than by the reward model: per system the mean of each measure with a 95% bootstrap
 * interval over prompts; for each system but the baseline the paired difference from the baseline and, per judge,
 * the win rate against it (ties count half), each with its interval; and figures that say whether a win was
 * earned or hacked (KL to the baseline policy, repetition, diversity, loss under the pretrained model).
 *
 * @param measures   the measures scored, in column order: the judges' names, and {@code exact_match} beside chrf
 * @param judges     the measures that rank answers (win rates are given for these)
 * @param systems    system → measure → mean [95% CI]
 * @param differences "system - baseline" → measure → mean paired difference [95% CI]
 * @param winRates   "system vs baseline" → judge → share of prompts where the system's answer scores higher [95% CI]
 * @param figures    system → figure name → value (kl, repeated_trigrams, distinct_2, lm_loss), where measured
 */
public record GoldEval(int prompts, String baseline, List<String> measures, List<String> judges,
                       Map<String, Map<String, Bootstrap.Interval>> systems,
                       Map<String, Map<String, Bootstrap.Interval>> differences,
                       Map<String, Map<String, Bootstrap.Interval>> winRates,
                       Map<String, Map<String, Double>> figures) {

    /** The measure of exact agreement with the reference, reported beside chrF. */
    public static final String EXACT_MATCH = "exact_match";

    /** A system's answers scored prompt by prompt: measure → [n]. */
    public record PerPrompt(Map<String, double[]> scores) {
        public PerPrompt {
            scores = new LinkedHashMap<>(scores);
        }

        /** chrF and exact match (0/1) against the references, the grammar task's measures. */
        public static PerPrompt chrF(List<String> answers, List<String> references) {
            int n = answers.size();
            double[] c = new double[n];
            double[] e = new double[n];
            for (int i = 0; i < n; i++) {
                c[i] = TextMetrics.chrF(answers.get(i), references.get(i));
                e[i] = TextMetrics.exactMatch(answers.get(i), references.get(i)) ? 1 : 0;
            }
            Map<String, double[]> m = new LinkedHashMap<>();
            m.put("chrf", c);
            m.put(EXACT_MATCH, e);
            return new PerPrompt(m);
        }

        /** Every judge's score of every answer ({@code prompts[i]} answered by {@code answers[i]}), exact match beside chrF. */
        public static PerPrompt judged(List<Judge> judges, List<String> prompts, List<String> answers,
                                       List<String> references) {
            Map<String, double[]> scores = new LinkedHashMap<>();
            for (Judge j : judges) {
                if (j.name().equals("chrf")) {
                    scores.putAll(chrF(answers, references).scores());
                    continue;
                }
                double[] x = new double[answers.size()];                                        // [n]
                for (int i = 0; i < x.length; i++) {
                    x[i] = j.score(prompts.get(i), answers.get(i), references.get(i));
                }
                scores.put(j.name(), x);
            }
            return new PerPrompt(scores);
        }
    }

    /** The positions of the prompts that have a reference completion, the ones a reference measure can score. */
    public static List<Integer> withReference(List<PromptExample> prompts) {
        List<Integer> scored = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).reference() != null) {
                scored.add(i);
            }
        }
        return scored;
    }

    /**
     * @param systems  in display order, each scored on the same measures and prompts; {@code baseline} is one of them
     * @param judges   the measures that rank answers, for the win rates
     * @param figures  system → figure → value (may be empty)
     */
    public static GoldEval of(Map<String, PerPrompt> systems, List<String> judges, String baseline,
                              Map<String, Map<String, Double>> figures, long seed) {
        PerPrompt base = systems.get(baseline);
        if (base == null) {
            throw new IllegalArgumentException("baseline " + baseline + " is not among " + systems.keySet());
        }
        List<String> measures = List.copyOf(base.scores().keySet());
        Map<String, Map<String, Bootstrap.Interval>> means = new LinkedHashMap<>();
        Map<String, Map<String, Bootstrap.Interval>> diffs = new LinkedHashMap<>();
        Map<String, Map<String, Bootstrap.Interval>> wins = new LinkedHashMap<>();
        for (Map.Entry<String, PerPrompt> e : systems.entrySet()) {
            Map<String, Bootstrap.Interval> m = new LinkedHashMap<>();
            Map<String, Bootstrap.Interval> d = new LinkedHashMap<>();
            Map<String, Bootstrap.Interval> w = new LinkedHashMap<>();
            long s = seed;
            for (String measure : measures) {
                double[] x = e.getValue().scores().get(measure);                               // [n]
                if (x == null) {
                    throw new IllegalArgumentException(e.getKey() + " has no " + measure + " scores");
                }
                m.put(measure, Bootstrap.mean(x, s));
                if (!e.getKey().equals(baseline)) {
                    d.put(measure, Bootstrap.difference(x, base.scores().get(measure), s + 1));
                    if (judges.contains(measure)) {
                        w.put(measure, Bootstrap.winRate(x, base.scores().get(measure), s + 2));
                    }
                }
                s += 3;
            }
            means.put(e.getKey(), m);
            if (!e.getKey().equals(baseline)) {
                diffs.put(e.getKey() + " - " + baseline, d);
                if (!w.isEmpty()) {
                    wins.put(e.getKey() + " vs " + baseline, w);
                }
            }
        }
        return new GoldEval(base.scores().values().iterator().next().length, baseline, measures, List.copyOf(judges),
                means, diffs, wins, figures);
    }

    /** What a measure is, in a table header. */
    public static String label(String measure) {
        return switch (measure) {
            case "chrf" -> "chrF (0–100)";
            case EXACT_MATCH -> "exact match";
            case "sentiment" -> "sentiment (labeler)";
            case "vader" -> "VADER (independent)";
            default -> measure;
        };
    }

    /** Exact match is a share and is shown in percent; every other measure in its own units. */
    public static double scale(String measure) {
        return measure.equals(EXACT_MATCH) ? 100 : 1;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts", prompts);
        m.put("baseline", baseline);
        m.put("measure", "Per-prompt scores of " + String.join(", ", measures) + "; 95% percentile bootstrap intervals "
                + "over prompts (" + Bootstrap.RESAMPLES + " resamples), differences and win rates (ties count half) "
                + "paired by prompt");
        m.put("measures", measures);
        m.put("judges", judges);
        m.put("systems", nested(systems));
        m.put("differences", nested(differences));
        m.put("win_rates", nested(winRates));
        m.put("figures", figures);
        return m;
    }

    private static Map<String, Object> nested(Map<String, Map<String, Bootstrap.Interval>> block) {
        Map<String, Object> out = new LinkedHashMap<>();
        block.forEach((k, v) -> {
            Map<String, Object> inner = new LinkedHashMap<>();
            v.forEach((measure, interval) -> inner.put(measure, interval.toMap()));
            out.put(k, inner);
        });
        return out;
    }

    /** A console table: one line per system, per difference and per win rate. */
    public String table() {
        List<String> lines = new ArrayList<>();
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "gold (%d prompts)       ", prompts));
        for (String measure : measures) {
            head.append(String.format(Locale.ROOT, " %-26s", label(measure)));
        }
        lines.add(head.toString());
        systems.forEach((k, v) -> lines.add(row(k, v, false)));
        differences.forEach((k, v) -> lines.add(row(k, v, true)));
        winRates.forEach((k, v) -> {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-22s", "win rate " + k));
            v.forEach((judge, w) -> sb.append(String.format(Locale.ROOT, " %s %.1f%% [%.1f, %.1f]", judge,
                    100 * w.estimate(), 100 * w.low(), 100 * w.high())));
            lines.add(sb.toString());
        });
        figures.forEach((k, v) -> {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-22s", k));
            v.forEach((name, value) -> sb.append(String.format(Locale.ROOT, " %s %.3f", name, value)));
            lines.add(sb.toString());
        });
        return String.join("\n", lines);
    }

    private static String row(String name, Map<String, Bootstrap.Interval> scores, boolean signed) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-22s", name));
        scores.forEach((measure, s) -> {
            double k = scale(measure);
            String f = signed ? "%+.2f" : "%.2f";
            sb.append(String.format(Locale.ROOT, " %-26s", String.format(Locale.ROOT, f + " [" + f + ", " + f + "]",
                    k * s.estimate(), k * s.low(), k * s.high())));
        });
        return sb.toString();
    }
}
