package rlhf4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The plot the field draws to show what optimising a reward model buys (Gao, Schulman and Hilton 2022; the DPO
 * paper): a judge's mean score against the KL divergence from the SFT policy, for PPO's evaluations along training
 * (metrics.csv's {@code val_kl} and {@code val_<judge>}, one point per evaluation step) and for SFT best-of-n by the
 * reward model (n = 1 … 16, KL log n − (n−1)/n) on the same held-out prompts. A method above the other at the
 * same KL gets more of what the judge wants for the same drift from SFT.
 */
final class ScoreVsKlPlot {
    private ScoreVsKlPlot() {}

    /** The PNG file of a judge's plot in the run folder. */
    static String fileName(String judge) {
        return "score_vs_kl_" + judge + ".png";
    }

    /**
     * Draws {@code judge}'s plot from the ppo folder's metrics.csv and test_metrics.json's {@code best_of_curve}
     * into {@code png}.
     *
     * @return false (nothing written) when neither series has a point
     */
    static boolean write(Path ppoDir, JsonNode bestOfCurve, String judge, Path png) throws IOException {
        XYSeries ppo = new XYSeries("PPO, evaluations along training (step labelled)", false, true);
        Path metrics = ppoDir.resolve("metrics.csv");
        java.util.Map<Integer, Integer> steps = new java.util.HashMap<>();
        if (Files.isRegularFile(metrics)) {
            MetricsTable table = MetricsTable.read(metrics);
            java.util.Map<Integer, Double> kl = new java.util.TreeMap<>();
            table.points("val_kl").forEach(p -> kl.put(p.step(), p.value()));
            for (MetricsTable.Point p : table.points("val_" + judge)) {
                Double x = kl.get(p.step());
                if (x != null && Double.isFinite(x) && Double.isFinite(p.value())) {
                    steps.put(ppo.getItemCount(), p.step());
                    ppo.add(x.doubleValue(), p.value());
                }
            }
        }
        XYSeries best = new XYSeries("SFT best-of-n by the reward model (n labelled)", false, true);
        java.util.Map<Integer, Integer> ns = new java.util.HashMap<>();
        for (JsonNode point : bestOfCurve.path("points")) {
            double y = point.path(judge).asDouble(Double.NaN);
            if (Double.isFinite(y)) {
                ns.put(best.getItemCount(), point.path("n").asInt());
                best.add(point.path("kl").asDouble(), y);
            }
        }
        if (ppo.getItemCount() == 0 && best.getItemCount() == 0) {
            return false;
        }
        MetricsPlot.headless();
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(ppo);
        data.addSeries(best);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int[] colors = {MetricsPlot.RED, MetricsPlot.BLUE};
        for (int i = 0; i < 2; i++) {
            renderer.setSeriesPaint(i, new Color(colors[i]));
            renderer.setSeriesStroke(i, new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        }
        renderer.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
        renderer.setSeriesShape(1, new Rectangle2D.Double(-4, -4, 8, 8));
        XYItemLabelGenerator labels = (dataset, series, item) -> series == 0
                ? String.valueOf(steps.get(item)) : "n=" + ns.get(item);
        renderer.setDefaultItemLabelGenerator(labels);
        renderer.setDefaultItemLabelsVisible(true);
        NumberAxis x = new NumberAxis("KL from the SFT policy (nats per answer)");
        x.setAutoRangeIncludesZero(false);          // the data hold KL 0; a margin keeps its label off the edge
        x.setLowerMargin(0.04);
        NumberAxis y = new NumberAxis(rlhf4j.eval.GoldEval.label(judge) + ", mean");
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        JFreeChart chart = MetricsPlot.styled("Score against KL: " + rlhf4j.eval.GoldEval.label(judge), plot);
        rlhf4j.checkpoint.AtomicFile.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, PlotSpec.WIDTH,
                PlotSpec.HEIGHT));
        return true;
    }
}
