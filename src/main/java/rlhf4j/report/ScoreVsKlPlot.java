package rlhf4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import rlhf4j.eval.GoldEval;
import rlhf4j.io.AtomicFile;

/**
 * The plot the field draws to show what optimising a reward buys (Gao, Schulman and Hilton 2022; the DPO paper): a
 * judge's mean score against the KL divergence from the SFT policy. Lines: each RL method's evaluations along training
 * (its metrics.csv {@code val_kl} and {@code val_<judge>}, one point per evaluation, step labelled) and SFT best-of-n by
 * the reward model (n = 1 … 16, KL log n − (n−1)/n) on the same held-out prompts. Diamonds: every system's final answers
 * to the test prompts (the gold evaluation's means and KL figures), DPO's among them. A method above another at the
 * same KL gets more of what the judge wants for the same drift from SFT.
 */
final class ScoreVsKlPlot {
    /** The stages whose metrics.csv logs evaluations along training, in legend order. */
    private static final List<String> RL_STAGES = List.of("ppo", "grpo");
    private static final int[] COLORS = {MetricsPlot.RED, MetricsPlot.GREEN, MetricsPlot.BLUE, MetricsPlot.ORANGE};

    private ScoreVsKlPlot() {}

    /** The PNG file of a judge's plot in the run folder. */
    static String fileName(String judge) {
        return "score_vs_kl_" + judge + ".png";
    }

    /**
     * Draws {@code judge}'s plot into {@code png}.
     *
     * @param gold the gold evaluation's JSON (systems' means, figures' KL), for the final points
     * @return false (nothing written) when no series has a point
     */
    static boolean write(Path runDir, JsonNode bestOfCurve, JsonNode gold, String judge, Path png) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Map<Integer, String>> labels = new ArrayList<>();
        for (String stage : RL_STAGES) {
            Path metrics = runDir.resolve(stage).resolve("metrics.csv");
            if (!Files.isRegularFile(metrics)) {
                continue;
            }
            XYSeries series = new XYSeries(stage.toUpperCase(Locale.ROOT) + ", evaluations along training (step "
                    + "labelled)", false, true);
            Map<Integer, String> steps = new HashMap<>();
            MetricsTable table = MetricsTable.read(metrics);
            Map<Integer, Double> kl = new TreeMap<>();
            table.points("val_kl").forEach(p -> kl.put(p.step(), p.value()));
            for (MetricsTable.Point p : table.points("val_" + judge)) {
                Double x = kl.get(p.step());
                if (x != null && Double.isFinite(x) && Double.isFinite(p.value())) {
                    steps.put(series.getItemCount(), String.valueOf(p.step()));
                    series.add(x.doubleValue(), p.value());
                }
            }
            add(data, labels, series, steps);
        }
        XYSeries best = new XYSeries("SFT best-of-n by the reward model (n labelled)", false, true);
        Map<Integer, String> ns = new HashMap<>();
        for (JsonNode point : bestOfCurve.path("points")) {
            double y = point.path(judge).asDouble(Double.NaN);
            if (Double.isFinite(y)) {
                ns.put(best.getItemCount(), "n=" + point.path("n").asInt());
                best.add(point.path("kl").asDouble(), y);
            }
        }
        add(data, labels, best, ns);
        int lines = data.getSeriesCount();
        XYSeries finals = new XYSeries("final answers to the test prompts", false, true);
        Map<Integer, String> names = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = gold.path("systems").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            double y = e.getValue().path(judge).path("value").asDouble(Double.NaN);
            double x = gold.path("figures").path(e.getKey()).path("kl").asDouble(Double.NaN);
            if (Double.isFinite(x) && Double.isFinite(y)) {
                names.put(finals.getItemCount(), shortName(e.getKey()));
                finals.add(x, y);
            }
        }
        add(data, labels, finals, names);
        if (data.getSeriesCount() == 0) {
            return false;
        }
        MetricsPlot.headless();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            boolean line = i < lines;
            renderer.setSeriesPaint(i, new Color(line ? COLORS[i % COLORS.length] : MetricsPlot.GRAY));
            renderer.setSeriesStroke(i, new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            renderer.setSeriesLinesVisible(i, line);
            renderer.setSeriesShape(i, line ? new Ellipse2D.Double(-4, -4, 8, 8) : diamond());
        }
        XYItemLabelGenerator itemLabels = (dataset, series, item) -> labels.get(series).get(item);
        renderer.setDefaultItemLabelGenerator(itemLabels);
        renderer.setDefaultItemLabelsVisible(true);
        NumberAxis x = new NumberAxis("KL from the SFT policy (nats per answer)");
        x.setAutoRangeIncludesZero(false);          // the data hold KL 0; a margin keeps its label off the edge
        x.setLowerMargin(0.07);
        NumberAxis y = new NumberAxis(GoldEval.label(judge) + ", mean");
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        JFreeChart chart = MetricsPlot.styled("Score against KL: " + GoldEval.label(judge), plot);
        AtomicFile.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, PlotSpec.WIDTH, PlotSpec.HEIGHT));
        return true;
    }

    private static void add(XYSeriesCollection data, List<Map<Integer, String>> labels, XYSeries series,
                            Map<Integer, String> itemLabels) {
        if (series.getItemCount() > 0) {
            data.addSeries(series);
            labels.add(itemLabels);
        }
    }

    /** "ppo sampled-0.7" → "ppo", "sft best-of-4" → "best-of-4": the decoding is the same for all and in the note. */
    private static String shortName(String system) {
        int best = system.indexOf("best-of");
        return best >= 0 ? system.substring(best) : system.split(" ")[0];
    }

    private static Shape diamond() {
        Path2D d = new Path2D.Double();
        d.moveTo(0, -6);
        d.lineTo(6, 0);
        d.lineTo(0, 6);
        d.lineTo(-6, 0);
        d.closePath();
        return d;
    }
}
