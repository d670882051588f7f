package rlhf4j.report;

import java.awt.AWTError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.io.AtomicFile;

/**
 * The pipeline report of one run: {@code <runDir>/report.html} plus one PNG chart per stage in
 * {@code <runDir>/report/}. The page is self-contained (inline CSS, no scripts, images by relative
 * path) so it opens from {@code file://}. It holds the headline results read from the stage folders
 * (each number in a cell with {@code data-key="stage.metric"} and its full-precision
 * {@code data-value}), the training curves, the side-by-side answers, wall time per stage, the
 * configuration, the machine and the commit. A stage that left nothing behind reads "not run"; dpo and grpo, which a
 * pipeline runs only when {@code pipeline.methods} names them, appear only where their folder exists.
 */
public final class PipelineReport {
    public static final String HTML = "report.html";
    public static final String PLOT_DIR = "report";

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
                   color: #222; background: #fff; max-width: 1180px; margin: 0 auto; padding: 20px 28px 60px;
                   line-height: 1.45; font-size: 15px; }
            h1 { font-size: 26px; margin: 8px 0 4px; }
            h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e6ea; }
            h3 { font-size: 16px; margin: 20px 0 6px; }
            .meta { color: #555; margin: 0 0 8px; }
            nav a { margin-right: 14px; color: #1f5fa8; text-decoration: none; }
            code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
            pre { background: #f6f7f9; border: 1px solid #e3e6ea; padding: 10px 12px; white-space: pre-wrap;
                  word-break: break-word; }
            table { border-collapse: collapse; margin: 6px 0 10px; }
            th, td { border: 1px solid #d8dce2; padding: 6px 10px; text-align: left; vertical-align: top; }
            th { background: #f1f3f6; font-weight: 600; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            td.stage { font-weight: 600; white-space: nowrap; }
            .src, .note { color: #666; font-size: 13px; }
            .notrun { color: #888; font-style: italic; }
            .problem { color: #a33; }
            figure { margin: 10px 0 26px; }
            figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
            figcaption { color: #555; font-size: 13px; }
            table.answers { table-layout: fixed; width: 100%; }
            table.answers td { white-space: pre-wrap; word-break: break-word; font-size: 14px; }
            table.answers td.match { background: #e9f6ea; }
            table.answers th.idx, table.answers td.idx { width: 2.2em; text-align: right; }
            details { margin: 4px 0 14px; }
            summary { cursor: pointer; color: #1f5fa8; }
            dl { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; }
            dt { font-weight: 600; }
            dd { margin: 0; }
            """;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'");

    private PipelineReport() {}

    /** What {@link #write} produced. */
    public record Written(Path html, Map<String, Path> plots, List<StageResults> stages) {}

    /** The chart drawn for {@code stage}, or empty for an unknown stage. */
    public static Optional<PlotSpec> plotSpec(String stage) {
        return Optional.ofNullable(switch (stage) {
            case "pretrain" -> PlotSpec.of("Pretraining: loss", "loss (nats per token)",
                    PlotSpec.Series.of("loss", "training loss (batch)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_loss", "validation loss").color(MetricsPlot.BLUE));
            case "sft" -> PlotSpec.of("SFT: loss and validation answers", "loss (nats per token)",
                    PlotSpec.Series.of("loss", "training loss (batch)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_loss", "validation loss").color(MetricsPlot.BLUE))
                    .withSecondAxis("validation score (0–100)",
                            PlotSpec.Series.of("chrf", "validation chrF").color(MetricsPlot.GREEN),
                            PlotSpec.Series.of("exact_match", "validation exact match (%)").scaled(100)
                                    .color(MetricsPlot.ORANGE));
            case "rm" -> PlotSpec.of("Reward model: loss and accuracy", "ranking loss (nats per pair)",
                    PlotSpec.Series.of("loss", "training loss (batch)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_loss", "validation loss").color(MetricsPlot.BLUE))
                    .withSecondAxis("share (0–1)",
                            PlotSpec.Series.of("val_accuracy", "validation pairwise accuracy").color(MetricsPlot.GREEN),
                            PlotSpec.Series.of("val_top1", "validation top-1").color(MetricsPlot.ORANGE));
            case "ppo" -> PlotSpec.of("PPO: reward, KL and β", "reward (RM score) and KL (nats)",
                    PlotSpec.Series.of("reward_mean", "reward (rollout mean)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_reward", "validation reward").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("kl", "KL to SFT (rollout)").color(MetricsPlot.RED),
                    PlotSpec.Series.of("val_kl", "validation KL").color(MetricsPlot.RED))
                    .withSecondAxis("β (KL coefficient)",
                            PlotSpec.Series.of("kl_coef", "β (KL coefficient)").color(MetricsPlot.PURPLE));
            case "dpo" -> PlotSpec.of("DPO: loss and implicit rewards", "DPO loss (nats per pair)",
                    PlotSpec.Series.of("loss", "training loss (batch)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_loss", "validation loss").color(MetricsPlot.BLUE))
                    .withSecondAxis("share (0–1) and margin",
                            PlotSpec.Series.of("val_rewards_accuracy", "validation reward accuracy")
                                    .color(MetricsPlot.GREEN),
                            PlotSpec.Series.of("val_rewards_margin", "validation reward margin")
                                    .color(MetricsPlot.ORANGE));
            case "grpo" -> PlotSpec.of("GRPO: reward and KL", "reward and KL (nats)",
                    PlotSpec.Series.of("reward_mean", "reward (sample mean)").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("val_reward", "validation reward").color(MetricsPlot.BLUE),
                    PlotSpec.Series.of("kl", "KL to SFT (samples)").color(MetricsPlot.RED),
                    PlotSpec.Series.of("val_kl", "validation KL").color(MetricsPlot.RED))
                    .withSecondAxis("share of groups (0–1)",
                            PlotSpec.Series.of("flat_groups", "groups scored alike").color(MetricsPlot.PURPLE));
            default -> null;
        });
    }

    /**
     * Reads the stage folders under {@code runDir}, draws their charts into {@code runDir/report/}
     * and writes {@code runDir/report.html} (both replaced). Missing or unreadable stage files show
     * as such in the page; only failing to write the report itself throws.
     */
    public static Written write(Path runDir, ReportContext ctx) throws IOException {
        Path plotDir = runDir.resolve(PLOT_DIR);
        Files.createDirectories(plotDir);
        List<StageResults> stages = new ArrayList<>();
        Map<String, Path> plots = new LinkedHashMap<>();
        Map<String, String> plotProblems = new LinkedHashMap<>();
        for (String stage : StageResults.STAGES) {
            if (StageResults.OPTIONAL.contains(stage) && !Files.isDirectory(runDir.resolve(stage))) {
                continue;                                      // a method this run did not choose: no "not run" rows
            }
            StageResults r = StageResults.read(runDir, stage);
            stages.add(r);
            Path png = plotDir.resolve(stage + ".png");
            Files.deleteIfExists(png);                         // no stale chart from an earlier report
            if (r.metrics().isEmpty()) {
                continue;
            }
            try {
                if (MetricsPlot.write(r.metrics().get(), plotSpec(stage).orElseThrow(), png)) {
                    plots.put(stage, png);
                }
            } catch (IOException | RuntimeException | LinkageError | AWTError e) {
                plotProblems.put(stage, "chart not drawn: " + e);
            }
        }
        String html = html(runDir, ctx, stages, plots, plotProblems);
        Path out = runDir.resolve(HTML);
        AtomicFile.write(out, html.getBytes(StandardCharsets.UTF_8));
        return new Written(out, plots, stages);
    }

    private static String html(Path runDir, ReportContext ctx, List<StageResults> stages, Map<String, Path> plots,
                               Map<String, String> plotProblems) {
        String run = runDir.toAbsolutePath().normalize().getFileName() == null ? runDir.toString()
                : runDir.toAbsolutePath().normalize().getFileName().toString();
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>rlhf4j report: ").append(Html.esc(run)).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>rlhf4j pipeline report: ").append(Html.esc(run)).append("</h1>\n");
        h.append("<p class=\"meta\">Run folder <code>").append(Html.esc(runDir.toAbsolutePath().normalize().toString()))
                .append("</code> · generated ")
                .append(STAMP.format(Instant.now().atZone(ZoneOffset.UTC)))
                .append(" · commit <code>").append(Html.esc(ctx.gitCommit())).append("</code></p>\n");
        h.append("<nav><a href=\"#results\">Results</a><a href=\"#gold\">Gold evaluation</a>")
                .append("<a href=\"#label\">Label stage</a><a href=\"#plots\">Training curves</a>")
                .append("<a href=\"#answers\">Answers</a><a href=\"#time\">Wall time</a>")
                .append("<a href=\"#config\">Configuration</a><a href=\"#machine\">Machine</a></nav>\n");
        results(h, stages);
        GoldSection.write(h, runDir);
        LabelSection.write(h, runDir);
        plots(h, stages, plots, plotProblems);
        answers(h, ctx.sideBySide());
        wallTime(h, stages, ctx.wallSeconds());
        h.append("<h2 id=\"config\">Configuration</h2>\n");
        h.append(ctx.config().isBlank() ? "<p class=\"notrun\">not given</p>\n"
                : "<pre>" + Html.esc(ctx.config().stripTrailing()) + "</pre>\n");
        machine(h, ctx.machine());
        h.append("<h2 id=\"commit\">Commit</h2>\n<p><code>").append(Html.esc(ctx.gitCommit())).append("</code></p>\n");
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void results(StringBuilder h, List<StageResults> stages) {
        h.append("<h2 id=\"results\">Results</h2>\n<table class=\"results\">\n<thead><tr><th>Stage</th><th>Metric</th>")
                .append("<th>Value</th><th>Compared with</th><th>Source</th></tr></thead>\n<tbody>\n");
        for (StageResults s : stages) {
            List<ResultRow> rows = s.ran() ? s.results() : List.of();
            if (rows.isEmpty()) {
                String what = s.ran() ? "no results logged (" + s.status() + ")" : "not run";
                h.append("<tr><td class=\"stage\">").append(Html.esc(s.stage()))
                        .append("</td><td colspan=\"4\" class=\"notrun\">")
                        .append(Html.esc(what)).append("</td></tr>\n");
                continue;
            }
            for (int i = 0; i < rows.size(); i++) {
                ResultRow r = rows.get(i);
                h.append("<tr>");
                if (i == 0) {
                    h.append("<td class=\"stage\" rowspan=\"").append(rows.size()).append("\">")
                            .append(Html.esc(s.stage()));
                    if (!s.status().equals("finished")) {
                        h.append("<br><span class=\"note\">").append(Html.esc(s.status())).append("</span>");
                    }
                    h.append("</td>");
                }
                h.append("<td>").append(Html.esc(r.label())).append("</td>");
                cell(h, r.value(), "");
                if (r.baseline().isPresent()) {
                    cell(h, r.baseline().get(), r.baselineLabel());
                } else {
                    h.append("<td></td>");
                }
                h.append("<td class=\"src\">").append(Html.esc(r.source())).append("</td></tr>\n");
            }
        }
        h.append("</tbody>\n</table>\n");
        problems(h, stages);
    }

    private static void cell(StringBuilder h, ResultRow.Cell c, String label) {
        h.append("<td class=\"num\" data-key=\"").append(Html.esc(c.key())).append("\" data-value=\"")
                .append(Html.esc(c.exact())).append("\">").append(Html.esc(c.formatted()));
        if (!label.isEmpty()) {
            h.append(" <span class=\"note\">").append(Html.esc(label)).append("</span>");
        }
        h.append("</td>");
    }

    private static void problems(StringBuilder h, List<StageResults> stages) {
        List<String> lines = new ArrayList<>();
        for (StageResults s : stages) {
            for (String p : s.problems()) {
                lines.add(s.stage() + "/" + p);
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        h.append("<p class=\"problem\">Files that could not be read:</p>\n<ul class=\"problem\">\n");
        for (String l : lines) {
            h.append("<li>").append(Html.esc(l)).append("</li>\n");
        }
        h.append("</ul>\n");
    }

    private static void plots(StringBuilder h, List<StageResults> stages, Map<String, Path> plots,
                              Map<String, String> plotProblems) {
        h.append("<h2 id=\"plots\">Training curves</h2>\n");
        for (StageResults s : stages) {
            if (plotSpec(s.stage()).isEmpty()) {
                continue;                                       // the label stage trains nothing
            }
            h.append("<h3>").append(Html.esc(s.stage())).append("</h3>\n");
            if (!s.ran()) {
                h.append("<p class=\"notrun\">not run</p>\n");
                continue;
            }
            Path png = plots.get(s.stage());
            if (png != null) {
                PlotSpec spec = plotSpec(s.stage()).orElseThrow();
                h.append("<figure><img src=\"").append(PLOT_DIR).append('/')
                        .append(Html.esc(png.getFileName().toString()))
                        .append("\" width=\"").append(spec.width()).append("\" height=\"").append(spec.height())
                        .append("\" alt=\"").append(Html.esc(spec.title())).append("\"><figcaption>")
                        .append(Html.esc(caption(s))).append("</figcaption></figure>\n");
            } else {
                h.append("<p class=\"notrun\">")
                        .append(Html.esc(plotProblems.getOrDefault(s.stage(), "no metrics to plot"))).append("</p>\n");
            }
            if (!s.samples().isEmpty()) {
                int nl = s.samples().indexOf('\n');
                String head = nl < 0 ? s.samples() : s.samples().substring(0, nl);
                h.append("<details><summary>last samples (").append(Html.esc(head.replace("=", "").strip()))
                        .append(")</summary><pre>").append(Html.esc(nl < 0 ? "" : s.samples().substring(nl + 1)))
                        .append("</pre></details>\n");
            }
        }
    }

    private static String caption(StageResults s) {
        StringBuilder c = new StringBuilder(s.dir().getFileName() + "/" + StageCheckpoint.METRICS);
        s.metrics().ifPresent(t -> c.append(", ").append(t.rows()).append(" rows"));
        s.state().ifPresent(st -> c.append("; ").append(st.step()).append(" of ").append(st.maxSteps())
                .append(" steps"));
        c.append("; markers: evaluation points");
        return c.toString();
    }

    private static void answers(StringBuilder h, List<SideBySide> answers) {
        h.append("<h2 id=\"answers\">Answers side by side</h2>\n");
        if (answers.isEmpty()) {
            h.append("<p class=\"notrun\">no answers were generated</p>\n");
            return;
        }
        Set<String> columns = new LinkedHashSet<>();
        for (String stage : StageResults.STAGES) {
            for (SideBySide a : answers) {
                if (a.answersByStage().containsKey(stage)) {
                    columns.add(stage);
                }
            }
        }
        answers.forEach(a -> columns.addAll(a.answersByStage().keySet()));
        h.append("<p class=\"note\">Shaded: the answer equals the reference (ignoring surrounding white space).</p>\n");
        h.append("<table class=\"answers\">\n<thead><tr><th class=\"idx\">#</th><th>prompt</th><th>reference</th>");
        for (String c : columns) {
            h.append("<th>").append(Html.esc(c)).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        int i = 0;
        for (SideBySide a : answers) {
            h.append("<tr><td class=\"idx\">").append(++i).append("</td><td>").append(Html.esc(a.prompt()))
                    .append("</td><td>").append(Html.esc(a.reference())).append("</td>");
            for (String c : columns) {
                String answer = a.answersByStage().get(c);
                if (answer == null) {
                    h.append("<td class=\"notrun\">—</td>");
                } else {
                    boolean match = !a.reference().isBlank() && answer.strip().equals(a.reference().strip());
                    h.append(match ? "<td class=\"match\">" : "<td>").append(Html.esc(answer)).append("</td>");
                }
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }

    private static void wallTime(StringBuilder h, List<StageResults> stages, Map<String, Double> wall) {
        h.append("<h2 id=\"time\">Wall time</h2>\n<table>\n<thead><tr><th>Stage</th><th>Status</th><th>Steps</th>")
                .append("<th>Wall time (this pipeline run)</th><th>Training time (trainer_state elapsed_s)</th>")
                .append("</tr></thead>\n<tbody>\n");
        double totalWall = 0;
        double totalTrain = 0;
        boolean anyWall = false;
        boolean anyTrain = false;
        for (StageResults s : stages) {
            h.append("<tr><td class=\"stage\">").append(Html.esc(s.stage())).append("</td><td")
                    .append(s.ran() ? ">" : " class=\"notrun\">").append(Html.esc(s.status())).append("</td>");
            h.append("<td class=\"num\">").append(s.state().map(st -> st.step() + " / " + st.maxSteps()).orElse(""))
                    .append("</td>");
            Double w = wall.get(s.stage());
            if (w != null) {
                timeCell(h, "wall." + s.stage(), w);
                totalWall += w;
                anyWall = true;
            } else {
                h.append("<td></td>");
            }
            if (s.state().isPresent() && Double.isFinite(s.state().get().elapsedSeconds())) {
                double e = s.state().get().elapsedSeconds();
                timeCell(h, "elapsed." + s.stage(), e);
                totalTrain += e;
                anyTrain = true;
            } else {
                h.append("<td></td>");
            }
            h.append("</tr>\n");
        }
        for (Map.Entry<String, Double> e : wall.entrySet()) {       // anything else the pipeline timed
            if (!StageResults.STAGES.contains(e.getKey())) {
                h.append("<tr><td class=\"stage\">").append(Html.esc(e.getKey())).append("</td><td></td><td></td>");
                timeCell(h, "wall." + e.getKey(), e.getValue());
                h.append("<td></td></tr>\n");
                totalWall += e.getValue();
                anyWall = true;
            }
        }
        h.append("<tr><th>total</th><td></td><td></td>");
        if (anyWall) {
            timeCell(h, "wall.total", totalWall);
        } else {
            h.append("<td></td>");
        }
        if (anyTrain) {
            timeCell(h, "elapsed.total", totalTrain);
        } else {
            h.append("<td></td>");
        }
        h.append("</tr>\n</tbody>\n</table>\n");
    }

    private static void timeCell(StringBuilder h, String key, double seconds) {
        h.append("<td class=\"num\" data-key=\"").append(Html.esc(key)).append("\" data-value=\"")
                .append(Double.toString(seconds)).append("\">").append(Html.esc(duration(seconds))).append("</td>");
    }

    /** 12.3 s, 4 min 05 s, 1 h 02 min. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    private static void machine(StringBuilder h, ReportContext.Machine m) {
        h.append("<h2 id=\"machine\">Machine</h2>\n");
        if (m == null) {
            h.append("<p class=\"notrun\">not given</p>\n");
            return;
        }
        h.append("<dl>\n");
        dl(h, "CPU cores (available processors)", Integer.toString(m.cores()));
        dl(h, "Java", m.javaVersion() + " (" + m.javaVendor() + ")");
        dl(h, "JVM", m.vm());
        dl(h, "Max heap", m.maxHeapMiB() + " MiB");
        dl(h, "Operating system", m.os());
        h.append("</dl>\n");
    }

    private static void dl(StringBuilder h, String term, String value) {
        h.append("<dt>").append(Html.esc(term)).append("</dt><dd>").append(Html.esc(value)).append("</dd>\n");
    }
}
