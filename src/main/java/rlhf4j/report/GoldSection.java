package rlhf4j.report;

import rlhf4j.checkpoint.StageCheckpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import rlhf4j.checkpoint.Json;

/**
 * The report's gold evaluation: the {@code gold} block of {@code ppo/test_metrics.json} as a table, one row per
 * system (SFT greedy, SFT best-of-K, PPO greedy, copying the input) and per paired difference from SFT greedy, each
 * number with its 95% bootstrap interval; a difference whose interval lies above 0 is marked. Every number is in a
 * cell with {@code data-key} ({@code gold.<row>.chrf}) and its full-precision {@code data-value}.
 */
final class GoldSection {
    private GoldSection() {}

    static void write(StringBuilder h, Path runDir) {
        JsonNode gold;
        try {
            gold = Json.readTree(runDir.resolve("ppo").resolve(StageCheckpoint.TEST_METRICS)).path("gold");
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (!gold.isObject()) {
            return;
        }
        h.append("<h2 id=\"gold\">Gold evaluation: the labeler's measure on the test prompts</h2>\n<p class=\"note\">")
                .append(Html.esc(gold.path("measure").asText())).append(". ")
                .append(gold.path("prompts").asInt()).append(" prompts.</p>\n")
                .append("<table>\n<thead><tr><th>system</th><th>chrF (0–100)</th><th>95% interval</th>")
                .append("<th>exact match</th><th>95% interval</th></tr></thead>\n<tbody>\n");
        rows(h, gold.path("systems"), false);
        rows(h, gold.path("differences"), true);
        h.append("</tbody>\n</table>\n<p class=\"note\">★: the interval of the difference lies above 0.</p>\n");
    }

    private static void rows(StringBuilder h, JsonNode block, boolean difference) {
        Iterator<Map.Entry<String, JsonNode>> it = block.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "gold." + e.getKey().replaceAll("[^A-Za-z0-9]+", "_");
            h.append("<tr><td>").append(Html.esc(e.getKey())).append("</td>");
            cells(h, key + ".chrf", e.getValue().path("chrf"), 1, difference);
            cells(h, key + ".exact_match", e.getValue().path("exact_match"), 100, difference);
            h.append("</tr>\n");
        }
    }

    private static void cells(StringBuilder h, String key, JsonNode score, double scale, boolean difference) {
        double v = score.path("value").asDouble(Double.NaN);
        double lo = score.path("ci95").path(0).asDouble(Double.NaN);
        double hi = score.path("ci95").path(1).asDouble(Double.NaN);
        String f = difference ? "%+.2f" : "%.2f";
        String unit = scale == 100 ? "%" : "";
        h.append("<td class=\"num\" data-key=\"").append(Html.esc(key)).append("\" data-value=\"").append(v).append("\">")
                .append(String.format(Locale.ROOT, f, scale * v)).append(unit)
                .append(difference && lo > 0 ? " ★" : "").append("</td><td class=\"num\">")
                .append(String.format(Locale.ROOT, "[" + f + ", " + f + "]", scale * lo, scale * hi)).append("</td>");
    }
}
