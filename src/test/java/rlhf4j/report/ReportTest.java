package rlhf4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PipelineReport end to end on fake stage folders: PNGs, every number's data-key against the files,
 * "not run" for missing stages, escaping, unreadable files.
 */
class ReportTest {
    private static final Pattern CELL = Pattern.compile(
            "<td class=\"num\" data-key=\"([^\"]+)\" data-value=\"([^\"]+)\">([^<]*)");

    @TempDir
    Path tmp;

    static ReportContext context(List<SideBySide> answers) {
        return new ReportContext("run: {name: tiny}\nmodel: {n_layer: 2}  # <script>alert(1)</script>\n",
                Map.of("pretrain", 61.5, "sft", 12.25), new ReportContext.Machine(2, "17.0.2", "Vendor & Co",
                "OpenJDK 64-Bit Server VM", "Linux 6.1 (amd64)", 2048), "0123abc", answers);
    }

    /** data-key → (full-precision value, shown text) of every number cell. */
    static Map<String, Map.Entry<Double, String>> cells(String html) {
        Map<String, Map.Entry<Double, String>> m = new LinkedHashMap<>();
        Matcher x = CELL.matcher(html);
        while (x.find()) {
            Map.Entry<Double, String> prev = m.put(x.group(1), Map.entry(Double.parseDouble(x.group(2)), x.group(3).strip()));
            assertEquals(null, prev, "duplicate data-key " + x.group(1));
        }
        return m;
    }

    private static void assertCell(Map<String, Map.Entry<Double, String>> cells, String key, double fileValue,
                                   int decimals) {
        Map.Entry<Double, String> c = cells.get(key);
        assertNotNull(c, "no cell " + key + " in " + cells.keySet());
        assertEquals(fileValue, c.getKey(), key);                                   // exactly the file's value
        assertEquals(String.format(Locale.ROOT, "%." + decimals + "f", fileValue), c.getValue(), key);
    }

    @Test
    void fullRunHasEveryNumberPlotAndSection() throws Exception {
        Path run = tmp.resolve("tiny");
        FakeRun.write(run, FakeRun.STAGES);
        PipelineReport.Written w = PipelineReport.write(run, context(List.of()));

        assertEquals(run.resolve("report.html"), w.html());
        List<String> plotted = List.of("pretrain", "sft", "rm", "ppo");
        assertEquals(plotted, List.copyOf(w.plots().keySet()));
        for (String stage : plotted) {
            Path png = run.resolve("report").resolve(stage + ".png");
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " is a PNG");
            assertEquals(900, img.getWidth());
            assertEquals(450, img.getHeight());
        }
        String html = Files.readString(w.html());
        for (String stage : plotted) {
            assertTrue(html.contains("<img src=\"report/" + stage + ".png\""), stage);
        }
        Map<String, Map.Entry<Double, String>> c = cells(html);
        // pretrain: last non-empty val_bpb / val_loss and the first evaluation's
        assertCell(c, "pretrain.val_bpb", 1.414213562373095, 4);
        assertCell(c, "pretrain.first_val_bpb", 2.718281828459045, 4);
        assertCell(c, "pretrain.val_loss", 4.123456789012345, 4);
        assertCell(c, "pretrain.first_val_loss", 5.987654321, 4);
        // sft: test_metrics.json
        assertCell(c, "sft.test_exact_match", 0.328125, 4);
        assertCell(c, "sft.test_chrf", 51.23456789, 2);
        assertCell(c, "sft.test_mean_response_tokens", 17.984375, 1);
        assertCell(c, "sft.val_loss", 2.25, 4);
        // rm: held-out validation accuracy next to the training rankings', and the test file's
        assertCell(c, "rm.test_accuracy", 0.6987654321, 4);
        assertCell(c, "rm.train_accuracy", 0.8125, 4);
        // ppo against the SFT policy on the test prompts
        assertCell(c, "ppo.reward_mean", 0.3456789, 4);
        assertCell(c, "ppo.sft_reward_mean", -0.4123, 4);
        assertCell(c, "ppo.kl", 0.0521, 4);
        assertCell(c, "ppo.sft_kl", 0.0, 4);
        assertCell(c, "ppo.exact_match", 0.34375, 4);
        assertCell(c, "ppo.sft_exact_match", 0.3125, 4);
        assertCell(c, "ppo.chrf", 53.0625, 2);
        assertCell(c, "ppo.sft_chrf", 49.875, 2);
        // label: its manifest's counts; one ranking, best first, escaped
        assertCell(c, "label.tasks", 9, 0);
        assertCell(c, "label.pairs", 25, 0);
        assertCell(c, "label.duplicates", 4, 0);
        int best = html.indexOf("<td>He goes home.</td>");
        assertTrue(best > 0 && best < html.indexOf("<td>He go home.</td>") && html.indexOf("<td>He go home.</td>")
                < html.indexOf("<td>Go.</td>"), "ranking best first");
        assertTrue(html.contains("He go &lt;home&gt;."), "prompt escaped");
        // gold: each system and the paired difference, with intervals; a difference above 0 is starred
        assertEquals(49.875, c.get("gold.sft_greedy.chrf").getKey());
        assertEquals(0.34375, c.get("gold.ppo_greedy.exact_match").getKey());
        assertEquals("+3.19 ★", c.get("gold.ppo_greedy_sft_greedy.chrf").getValue());
        assertEquals("+3.13%", c.get("gold.ppo_greedy_sft_greedy.exact_match").getValue());
        assertTrue(html.contains("[+0.50, +5.88]"), "interval of the difference");
        // wall time from the context, training time from trainer_state.json
        assertEquals(61.5, c.get("wall.pretrain").getKey());
        assertEquals("1 min 02 s", c.get("wall.pretrain").getValue());
        assertEquals(12.25, c.get("wall.sft").getKey());
        assertEquals(73.75, c.get("wall.total").getKey());
        assertEquals(4.5, c.get("elapsed.ppo").getKey());

        assertFalse(html.contains("not run"));
        for (String id : List.of("results", "gold", "label", "plots", "answers", "time", "config", "machine", "commit")) {
            assertTrue(html.contains("<h2 id=\"" + id + "\">"), id);
        }
        assertTrue(html.contains("0123abc"));
        assertTrue(html.contains("<dd>2</dd>"));                                      // cores
        assertTrue(html.contains("17.0.2 (Vendor &amp; Co)"));
        assertTrue(html.contains("alert(1)&lt;/script&gt;"));
        assertFalse(html.contains("<script"));
        assertTrue(html.contains("prompt → answer &lt;i&gt;&amp;amp; ppo"), "samples escaped");
        assertFalse(html.contains("src=\"/") || html.contains("http://") || html.contains("https://"),
                "self-contained: relative image paths, nothing fetched");
    }

    /** A judged PPO run: two judges, win rates, the fluency figures, the best-of-n curve and the test answers. */
    @Test
    void judgedRunShowsWinRatesFiguresScoreAgainstKlAndTheTestAnswers() throws Exception {
        Path run = tmp.resolve("judged");
        FakeRun.write(run, List.of("ppo"));
        Path ppo = run.resolve("ppo");
        Files.writeString(ppo.resolve("metrics.csv"), """
                step,val_kl,val_sentiment,val_vader
                0,0.0,0.5,0.1
                25,1.5,1.25,0.2
                50,3.0,2.0,0.3
                """, StandardCharsets.UTF_8);
        String interval = "{\"value\": %s, \"ci95\": [%s, %s]}";
        Files.writeString(ppo.resolve("test_metrics.json"), """
                {"prompts": 4, "decoding": "sampled-0.7", "decoding_described": "sampled at temperature 0.7",
                 "sft": {"exact_match": 0.0, "chrf": 12.5}, "ppo": {"exact_match": 0.0, "chrf": 13.0},
                 "answers_file": "test_answers.jsonl",
                 "gold": {"prompts": 4, "measure": "judged", "measures": ["sentiment", "vader"],
                   "judges": ["sentiment", "vader"],
                   "systems": {"sft": {"sentiment": %s, "vader": %s}, "ppo": {"sentiment": %s, "vader": %s}},
                   "differences": {"ppo - sft": {"sentiment": %s, "vader": %s}},
                   "win_rates": {"ppo vs sft": {"sentiment": %s, "vader": %s}},
                   "figures": {"sft": {"kl": 0.0, "repeated_trigrams": 0.0125, "distinct_2": 0.875, "lm_loss": 3.5},
                               "ppo": {"kl": 2.75, "repeated_trigrams": 0.025, "distinct_2": 0.8125, "lm_loss": 3.75}}},
                 "best_of_curve": {"prompts": 3, "what": "best-of-n on the held-out prompts",
                   "points": [{"n": 1, "kl": 0.0, "sentiment": 0.5, "vader": 0.1},
                              {"n": 4, "kl": 0.636, "sentiment": 1.5, "vader": 0.25}]}}
                """.formatted(interval.formatted(0.5, 0.25, 0.75), interval.formatted(0.1, 0.0, 0.2),
                interval.formatted(2.0, 1.5, 2.5), interval.formatted(0.3, 0.2, 0.4),
                interval.formatted(1.5, 1.0, 2.0), interval.formatted(0.2, -0.1, 0.5),
                interval.formatted(0.875, 0.625, 1.0), interval.formatted(0.625, 0.375, 0.875)),
                StandardCharsets.UTF_8);
        Files.writeString(ppo.resolve("test_answers.jsonl"), "{\"prompt\": \"Continue: We <b>must</b>\", "
                + "\"sft\": {\"answer\": \"go on.\", \"sentiment\": 0.0, \"vader\": 0.0}, "
                + "\"ppo\": {\"answer\": \"build a great & happy nation.\", \"sentiment\": 6.0, \"vader\": 0.8}}\n",
                StandardCharsets.UTF_8);
        String html = Files.readString(PipelineReport.write(run, context(List.of())).html());
        Map<String, Map.Entry<Double, String>> c = cells(html);
        assertEquals("+1.50 ★", c.get("gold.ppo_sft.sentiment").getValue());
        assertEquals("+0.20", c.get("gold.ppo_sft.vader").getValue());             // interval across 0: no star
        assertEquals("87.5% ★", c.get("win.ppo_vs_sft.sentiment").getValue());     // above one half
        assertEquals("62.5%", c.get("win.ppo_vs_sft.vader").getValue());           // interval reaches below one half
        assertEquals(2.75, c.get("fig.ppo.kl").getKey());
        assertEquals(0.875, c.get("ppo.win_rate_sentiment").getKey());      // the headline in the results table
        assertEquals(0.625, c.get("ppo.win_rate_vader").getKey());
        assertFalse(c.containsKey("ppo.exact_match"), "no reference measure for a reference-free task");
        assertEquals("2.5%", c.get("fig.ppo.repeated_trigrams").getValue());
        assertEquals("0.813", c.get("fig.ppo.distinct_2").getValue());            // 0.8125, half up
        assertTrue(html.contains("sampled at temperature 0.7"), "how the answers were decoded");
        assertTrue(html.contains("build a great &amp; happy nation.") && html.contains("We &lt;b&gt;must&lt;/b&gt;"),
                "test answers side by side, escaped");
        for (String judge : List.of("sentiment", "vader")) {
            Path png = run.resolve("report").resolve("score_vs_kl_" + judge + ".png");
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " is a PNG");
            assertTrue(html.contains("src=\"report/score_vs_kl_" + judge + ".png\""), judge);
        }
    }

    @Test
    void missingStagesReadNotRunAndLeaveNoPlot() throws Exception {
        Path run = tmp.resolve("partial");
        FakeRun.write(run, List.of("pretrain"));
        Files.createDirectories(run.resolve("report"));
        Files.writeString(run.resolve("report/ppo.png"), "stale");
        PipelineReport.Written w = PipelineReport.write(run, context(List.of()));
        String html = Files.readString(w.html());

        assertEquals(List.of("pretrain"), List.copyOf(w.plots().keySet()));
        assertTrue(Files.exists(run.resolve("report/pretrain.png")));
        for (String stage : List.of("sft", "rm", "ppo")) {
            assertFalse(Files.exists(run.resolve("report/" + stage + ".png")), stage);
            assertTrue(html.contains("<td class=\"stage\">" + stage + "</td><td colspan=\"4\" class=\"notrun\">not run</td>"),
                    stage + " results row");
            assertTrue(html.contains("<h3>" + stage + "</h3>\n<p class=\"notrun\">not run</p>"), stage + " plot");
        }
        Map<String, Map.Entry<Double, String>> c = cells(html);
        assertCell(c, "pretrain.val_bpb", 1.414213562373095, 4);
        assertFalse(c.keySet().stream().anyMatch(k -> k.startsWith("sft.") || k.startsWith("rm.") || k.startsWith("ppo.")));

        // nothing at all: still a page
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        String none = Files.readString(PipelineReport.write(empty, new ReportContext("", Map.of(),
                ReportContext.Machine.current(), null, List.of())).html());
        assertTrue(none.contains("unknown"));
        // results rows, plot sections, wall time rows of the default stages (dpo and grpo, not chosen, are left out)
        assertEquals(14, none.split("not run", -1).length - 1);
    }

    @Test
    void sideBySideAnswersAreEscaped() throws Exception {
        Path run = tmp.resolve("answers");
        FakeRun.write(run, List.of("pretrain", "sft"));
        Map<String, String> answers = new LinkedHashMap<>();
        answers.put("ppo", "She goes.");
        answers.put("pretrain", "she go <b>&amp;");
        answers.put("sft", "She goes.");
        List<SideBySide> rows = List.of(new SideBySide("Fix: <b>& \"she go\"", "She goes.", answers),
                new SideBySide("second 'prompt'", null, Map.of("sft", "ok")));
        String html = Files.readString(PipelineReport.write(run, context(rows)).html());

        assertTrue(html.contains("Fix: &lt;b&gt;&amp; &quot;she go&quot;"));
        assertFalse(html.contains("<b>&"));
        assertTrue(html.contains("she go &lt;b&gt;&amp;amp;"));
        assertTrue(html.contains("second &#39;prompt&#39;"));
        // columns in pipeline order whatever the map order; equal-to-reference answers marked
        assertTrue(html.contains("<th>pretrain</th><th>sft</th><th>ppo</th>"));
        assertTrue(html.contains("<td class=\"match\">She goes.</td><td class=\"match\">She goes.</td>"));
        assertTrue(html.contains("<td class=\"notrun\">—</td>"));
    }

    @Test
    void brokenFilesAreListedNotFatal() throws Exception {
        Path run = tmp.resolve("broken");
        FakeRun.stage(run, "sft", "step,loss\n1,oops\n", "{\"exact_match\": ", 1, 4, 2.0);
        String html = Files.readString(PipelineReport.write(run, context(List.of())).html());
        assertTrue(html.contains("Files that could not be read"));
        assertTrue(html.contains("sft/test_metrics.json: "));
        assertTrue(html.contains("no results logged (stopped at step 1 of 4)"));
        assertTrue(html.contains("no metrics to plot"));
    }

    @Test
    void durations() {
        assertEquals("12.3 s", PipelineReport.duration(12.34));
        assertEquals("4 min 05 s", PipelineReport.duration(245));
        assertEquals("1 h 02 min", PipelineReport.duration(3720));
        assertEquals("?", PipelineReport.duration(Double.NaN));
    }
}
