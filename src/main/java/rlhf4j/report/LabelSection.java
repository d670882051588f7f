package rlhf4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rlhf4j.checkpoint.Json;

/**
 * The report's view of the label stage: who labelled (with the manifest's note when the labeler is synthetic)
 * and one ranking as the reward model sees it, the prompt, its reference and the candidate answers best first
 * with the labeler's scores. Reads {@code label/manifest.json} and the first row of {@code label/rankings.jsonl};
 * renders nothing when they are missing or unreadable.
 */
final class LabelSection {
    private LabelSection() {}

    static void write(StringBuilder h, Path runDir) {
        Path dir = runDir.resolve("label");
        JsonNode manifest;
        JsonNode row;
        try {
            manifest = Json.readTree(dir.resolve(StageResults.LABEL_MANIFEST));
            List<String> lines = Files.readAllLines(dir.resolve("rankings.jsonl"), StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return;
            }
            row = Json.parse(lines.get(0));
        } catch (IOException | RuntimeException e) {
            return;
        }
        h.append("<h2 id=\"label\">Label stage: one ranking</h2>\n<p>Labeler <code>")
                .append(Html.esc(manifest.path("labeler").asText())).append("</code>");
        if (manifest.hasNonNull("labeler_note")) {
            h.append(" — ").append(Html.esc(manifest.get("labeler_note").asText()));
        }
        JsonNode sampling = manifest.path("sampling");
        h.append(". The SFT model answered each prompt ").append(sampling.path("num_candidates").asInt())
                .append(" times at temperature ").append(Html.esc(sampling.path("temperature").asText()))
                .append("; the reward model learns every pair of each ranking.</p>\n");
        JsonNode prompt = row.path("prompt");
        String question = prompt.isArray() && prompt.size() > 0 ? prompt.get(prompt.size() - 1).path("content").asText()
                : prompt.asText();
        h.append("<p><b>Prompt</b> ").append(Html.esc(question));
        if (row.hasNonNull("reference")) {
            h.append("<br><b>Reference</b> ").append(Html.esc(row.get("reference").asText()));
        }
        h.append("</p>\n<table>\n<thead><tr><th>rank</th><th>answer</th><th>labeler's score</th></tr></thead>\n<tbody>\n");
        JsonNode responses = row.path("responses");
        List<Integer> order = order(row, responses.size());
        for (int rank = 0; rank < order.size(); rank++) {
            int i = order.get(rank);
            h.append("<tr><td class=\"num\">").append(rank + 1).append("</td><td>")
                    .append(Html.esc(responses.get(i).asText())).append("</td><td class=\"num\">")
                    .append(row.has("scores") ? String.format(Locale.ROOT, "%.2f", row.get("scores").get(i).asDouble())
                            : "").append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }

    /** The responses best first: the ranking as given, or by score (highest first). */
    private static List<Integer> order(JsonNode row, int k) {
        List<Integer> order = new ArrayList<>();
        if (row.has("ranking")) {
            row.get("ranking").forEach(i -> order.add(i.asInt()));
            return order;
        }
        for (int i = 0; i < k; i++) {
            order.add(i);
        }
        order.sort((a, b) -> Double.compare(row.get("scores").get(b).asDouble(), row.get("scores").get(a).asDouble()));
        return order;
    }
}
