package rlhf4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.eval.GoldEval;
import rlhf4j.eval.MethodComparison;

/**
 * The report's gold evaluation, from the run's {@code comparison.json} and {@code comparison_answers.jsonl} (every
 * alignment method judged together, {@code MethodComparison}) or, in a run without them, {@code ppo/test_metrics.json}
 * and {@code ppo/test_answers.jsonl}: the judges' mean scores per system (SFT, SFT best-of-K, PPO, DPO, GRPO, copying
 * the input where it applies) and the paired differences from SFT; the win rates against SFT per judge; what each
 * method cost; the figures that tell an earned win from a hacked one (KL,
 * repetition, diversity, loss under the pretrained model); the score-against-KL plot per judge; and the first test
 * answers side by side with every judge's score. Every number has its 95% bootstrap interval; a difference whose
 * interval lies above 0, or a win rate whose interval lies above one half, is marked. Every number is in a cell with
 * {@code data-key} ({@code gold.<row>.<measure>}) and its full-precision {@code data-value}.
 */
final class GoldSection {
    /** Test answers shown side by side. */
    static final int ANSWERS_SHOWN = 8;

    private GoldSection() {}

    static void write(StringBuilder h, Path runDir) {
        boolean compared = Files.isRegularFile(runDir.resolve(MethodComparison.FILE));
        Path source = compared ? runDir.resolve(MethodComparison.FILE)
                : runDir.resolve("ppo").resolve(StageCheckpoint.TEST_METRICS);
        JsonNode metrics;
        try {
            metrics = Json.readTree(source);
        } catch (IOException | RuntimeException e) {
            return;
        }
        JsonNode gold = metrics.path("gold");
        if (!gold.isObject()) {
            return;
        }
        List<String> measures = new ArrayList<>();
        gold.path("measures").forEach(m -> measures.add(m.asText()));
        if (measures.isEmpty()) {                      // a test_metrics.json written before judges were named
            measures.addAll(List.of("chrf", GoldEval.EXACT_MATCH));
        }
        h.append("<h2 id=\"gold\">Gold evaluation: the judges' verdict on the test prompts</h2>\n<p class=\"note\">")
                .append(gold.path("prompts").asInt()).append(" test prompts no stage trained on, answers ")
                .append(Html.esc(metrics.path("decoding_described").asText(metrics.path("decoding").asText())))
                .append(". ").append(Html.esc(gold.path("measure").asText())).append(".</p>\n")
                .append("<table>\n<thead><tr><th>system</th>");
        for (String m : measures) {
            h.append("<th>").append(Html.esc(GoldEval.label(m))).append("</th><th>95% interval</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        rows(h, gold.path("systems"), measures, false);
        rows(h, gold.path("differences"), measures, true);
        h.append("</tbody>\n</table>\n<p class=\"note\">★: the interval of the difference lies above 0.</p>\n");
        winRates(h, gold.path("win_rates"));
        figures(h, gold.path("figures"));
        costs(h, metrics.path("methods"));
        plots(h, runDir, metrics.path("best_of_curve"), gold);
        Path answersFile = source.getParent().resolve(metrics.path("answers_file").asText("test_answers.jsonl"));
        answers(h, answersFile, runDir.relativize(answersFile).toString(), measures);
    }

    private static void rows(StringBuilder h, JsonNode block, List<String> measures, boolean difference) {
        Iterator<Map.Entry<String, JsonNode>> it = block.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "gold." + slug(e.getKey());
            h.append("<tr><td>").append(Html.esc(e.getKey())).append("</td>");
            for (String m : measures) {
                cells(h, key + "." + m, e.getValue().path(m), GoldEval.scale(m), difference ? 0 : Double.NaN,
                        difference);
            }
            h.append("</tr>\n");
        }
    }

    private static void winRates(StringBuilder h, JsonNode wins) {
        if (!wins.isObject() || wins.isEmpty()) {
            return;
        }
        List<String> judges = new ArrayList<>();
        wins.elements().next().fieldNames().forEachRemaining(judges::add);
        h.append("<h3>Win rates against SFT (ties count half)</h3>\n<table>\n<thead><tr><th>comparison</th>");
        for (String j : judges) {
            h.append("<th>by ").append(Html.esc(GoldEval.label(j))).append("</th><th>95% interval</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        Iterator<Map.Entry<String, JsonNode>> it = wins.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            h.append("<tr><td>").append(Html.esc(e.getKey())).append("</td>");
            for (String j : judges) {
                cells(h, "win." + slug(e.getKey()) + "." + j, e.getValue().path(j), 100, 0.5, false);
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"note\">★: the interval lies above 50%.</p>\n");
    }

    private static void figures(StringBuilder h, JsonNode figures) {
        if (!figures.isObject() || figures.isEmpty()) {
            return;
        }
        h.append("<h3>Earned or hacked? KL and fluency of the same answers</h3>\n<table>\n<thead><tr><th>system</th>")
                .append("<th>KL from SFT (nats per answer)</th><th>repeated trigrams</th><th>distinct-2</th>")
                .append("<th>loss under the pretrained model (nats per token)</th></tr></thead>\n<tbody>\n");
        Iterator<Map.Entry<String, JsonNode>> it = figures.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "fig." + slug(e.getKey());
            h.append("<tr><td>").append(Html.esc(e.getKey())).append("</td>");
            value(h, key + ".kl", e.getValue().path("kl"), "%.2f", 1);
            value(h, key + ".repeated_trigrams", e.getValue().path("repeated_trigrams"), "%.1f%%", 100);
            value(h, key + ".distinct_2", e.getValue().path("distinct_2"), "%.3f", 1);
            value(h, key + ".lm_loss", e.getValue().path("lm_loss"), "%.3f", 1);
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"note\">A policy that games its reward model shows it here: more "
                + "repeated trigrams, fewer distinct bigrams, a higher loss under the pretrained model, a large KL. "
                + "Best-of-K's KL is log K − (K−1)/K.</p>\n");
    }

    /** Each method's training time and steps, and the stages it needs before it with their time. */
    private static void costs(StringBuilder h, JsonNode methods) {
        if (!methods.isObject() || methods.isEmpty()) {
            return;
        }
        h.append("<h3>What each method cost</h3>\n<table>\n<thead><tr><th>method</th><th>training (s)</th>")
                .append("<th>steps</th><th>needs before it</th><th>their time (s)</th></tr></thead>\n<tbody>\n");
        Iterator<Map.Entry<String, JsonNode>> it = methods.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode m = e.getValue();
            List<String> needs = new ArrayList<>();
            m.path("needs").forEach(n -> needs.add(n.asText()));
            h.append("<tr><td>").append(Html.esc(e.getKey())).append("</td>");
            value(h, "cost." + e.getKey() + ".train_seconds", m.path("train_seconds"), "%.0f", 1);
            value(h, "cost." + e.getKey() + ".steps", m.path("steps"), "%.0f", 1);
            h.append("<td>").append(Html.esc(needs.isEmpty() ? "SFT only" : "SFT, " + String.join(", ", needs)))
                    .append("</td>");
            value(h, "cost." + e.getKey() + ".needs_seconds", m.path("needs_seconds"), "%.0f", 1);
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"note\">Training time from each stage's trainer_state.json, without "
                + "its test evaluation; every method also needs the SFT model. DPO learns from the rankings alone; PPO "
                + "and GRPO rewarded by the reward model need the rankings and the reward model; GRPO rewarded by a "
                + "judge or a command needs neither.</p>\n");
    }

    private static void plots(StringBuilder h, Path runDir, JsonNode curve, JsonNode gold) {
        List<String> names = new ArrayList<>();
        for (JsonNode j : gold.path("judges")) {
            Path png = runDir.resolve(PipelineReport.PLOT_DIR).resolve(ScoreVsKlPlot.fileName(j.asText()));
            try {
                Files.createDirectories(png.getParent());
                Files.deleteIfExists(png);
                if (ScoreVsKlPlot.write(runDir, curve, gold, j.asText(), png)) {
                    names.add(PipelineReport.PLOT_DIR + "/" + png.getFileName());
                }
            } catch (IOException | RuntimeException | LinkageError e) {
                h.append("<p class=\"notrun\">score-against-KL plot not drawn: ").append(Html.esc(e.toString()))
                        .append("</p>\n");
            }
        }
        if (names.isEmpty()) {
            return;
        }
        h.append("<h3>Score against KL</h3>\n<p class=\"note\">Lines: the RL methods' evaluations along training "
                + "on their held-out prompts, and ").append(Html.esc(curve.path("what").asText("no best-of-n curve")))
                .append(" (").append(curve.path("prompts").asInt()).append(" prompts). Diamonds: every system's final "
                + "answers to the test prompts, the numbers of the tables above.</p>\n");
        for (String n : names) {
            h.append("<figure><img alt=\"score against KL\" src=\"").append(Html.esc(n)).append("\"></figure>\n");
        }
    }

    private static void answers(StringBuilder h, Path file, String shownName, List<String> measures) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (rows.size() < ANSWERS_SHOWN && (line = r.readLine()) != null) {
                rows.add(Json.parse(line));
            }
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (rows.isEmpty()) {
            return;
        }
        List<String> systems = new ArrayList<>();
        rows.get(0).fieldNames().forEachRemaining(f -> {
            if (rows.get(0).path(f).isObject()) {
                systems.add(f);
            }
        });
        h.append("<h3>Test answers side by side</h3>\n<p class=\"note\">The first ").append(rows.size())
                .append(" test prompts; every answer with its judges' scores (all of them in <code>")
                .append(Html.esc(shownName)).append("</code>).</p>\n<table class=\"answers\">\n")
                .append("<thead><tr><th>prompt</th>");
        systems.forEach(s -> h.append("<th>").append(Html.esc(s)).append("</th>"));
        h.append("</tr></thead>\n<tbody>\n");
        for (JsonNode row : rows) {
            h.append("<tr><td>").append(Html.esc(row.path("prompt").asText())).append("</td>");
            for (String s : systems) {
                JsonNode a = row.path(s);
                h.append("<td>").append(Html.esc(a.path("answer").asText())).append("<br><span class=\"note\">");
                List<String> scores = new ArrayList<>();
                for (String m : measures) {
                    if (a.has(m)) {
                        scores.add(m + " " + String.format(Locale.ROOT, "%.2f", GoldEval.scale(m) * a.path(m).asDouble()));
                    }
                }
                h.append(Html.esc(String.join(" · ", scores))).append("</span></td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }

    private static String slug(String s) {
        return s.replaceAll("[^A-Za-z0-9]+", "_");
    }

    private static void value(StringBuilder h, String key, JsonNode v, String format, double scale) {
        if (v.isMissingNode() || !v.isNumber()) {
            h.append("<td></td>");
            return;
        }
        h.append("<td class=\"num\" data-key=\"").append(Html.esc(key)).append("\" data-value=\"").append(v.asDouble())
                .append("\">").append(String.format(Locale.ROOT, format, scale * v.asDouble())).append("</td>");
    }

    /** A value and its interval; marked when the interval's low end lies above {@code mark}. */
    private static void cells(StringBuilder h, String key, JsonNode score, double scale, double mark, boolean signed) {
        double v = score.path("value").asDouble(Double.NaN);
        double lo = score.path("ci95").path(0).asDouble(Double.NaN);
        double hi = score.path("ci95").path(1).asDouble(Double.NaN);
        String f = signed ? "%+.2f" : scale == 100 ? "%.1f" : "%.2f";
        String unit = scale == 100 ? "%" : "";
        h.append("<td class=\"num\" data-key=\"").append(Html.esc(key)).append("\" data-value=\"").append(v).append("\">")
                .append(String.format(Locale.ROOT, f, scale * v)).append(unit)
                .append(!Double.isNaN(mark) && lo > mark ? " ★" : "").append("</td><td class=\"num\">")
                .append(String.format(Locale.ROOT, "[" + f + ", " + f + "]", scale * lo, scale * hi)).append("</td>");
    }
}
