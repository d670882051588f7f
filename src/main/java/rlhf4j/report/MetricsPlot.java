package rlhf4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import rlhf4j.io.AtomicFile;

/**
 * PNG line charts of metrics.csv columns against the optimizer step (JFreeChart, headless). Dense
 * series (logged every step) are drawn as plain lines, in a lighter tint when a sparse series has the
 * same colour (a training metric and its validation twin); sparse series (evaluations) as bolder
 * lines with a marker on every point, so a single evaluation still shows. Non-finite values are not
 * drawn. Series can be put on a right-hand axis (e.g. the PPO KL coefficient β next to reward and KL).
 */
public final class MetricsPlot {
    static {
        headless();                        // before the AWT colours below, and before any chart is drawn
    }

    /** Series with at most this many points, or a quarter of the densest series' points or fewer, get markers. */
    static final int SPARSE_POINTS = 60;

    public static final int BLUE = 0x1f5fa8;
    public static final int RED = 0xc0282d;
    public static final int GREEN = 0x2a9d3a;
    public static final int ORANGE = 0xf08a0b;
    public static final int PURPLE = 0x8e44ad;
    public static final int BROWN = 0x8c564b;
    public static final int TEAL = 0x17a2b8;
    public static final int GRAY = 0x666666;
    private static final int[] PALETTE = {BLUE, RED, GREEN, ORANGE, PURPLE, BROWN, TEAL, GRAY};
    /** How much of a dense series' colour is mixed with white when a sparse series has its colour. */
    private static final float DENSE_TINT = 0.55f;
    private static final Color GRID = new Color(0xdddddd);

    private MetricsPlot() {}

    /**
     * Reads {@code metricsCsv} and writes the chart to {@code png}.
     *
     * @return false (and nothing written) when none of the spec's columns holds a finite value
     */
    public static boolean write(Path metricsCsv, PlotSpec spec, Path png) throws IOException {
        return write(MetricsTable.read(metricsCsv), spec, png);
    }

    /**
     * Writes the chart of {@code table} to {@code png} ({@code spec.width()}×{@code spec.height()}),
     * replacing the file.
     *
     * @return false (and nothing written) when none of the spec's columns holds a finite value
     */
    public static boolean write(MetricsTable table, PlotSpec spec, Path png) throws IOException {
        JFreeChart chart = chart(table, spec);
        if (chart == null) {
            return false;
        }
        AtomicFile.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, spec.width(), spec.height()));
        return true;
    }

    /** The chart, or null when none of the spec's columns holds a finite value. */
    public static JFreeChart chart(MetricsTable table, PlotSpec spec) {
        headless();
        List<XYSeries> left = new ArrayList<>();
        List<XYSeries> right = new ArrayList<>();
        Map<XYSeries, PlotSpec.Series> specOf = new IdentityHashMap<>();
        int densest = 0;
        for (PlotSpec.Series s : spec.series()) {
            XYSeries xy = new XYSeries(s.label(), false, true);
            for (MetricsTable.Point p : table.points(s.column())) {
                double v = p.value() * s.scale();
                if (Double.isFinite(v)) {
                    xy.add(p.step(), v);
                }
            }
            if (xy.getItemCount() > 0) {
                (s.secondAxis() ? right : left).add(xy);
                specOf.put(xy, s);
                densest = Math.max(densest, xy.getItemCount());
            }
        }
        if (left.isEmpty() && right.isEmpty()) {
            return null;
        }
        Set<Integer> sparseColors = new HashSet<>();
        for (Map.Entry<XYSeries, PlotSpec.Series> e : specOf.entrySet()) {
            if (sparse(e.getKey().getItemCount(), densest)) {
                sparseColors.add(e.getValue().rgb());
            }
        }
        NumberAxis x = new NumberAxis(spec.xLabel());
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(x);
        int color = 0;
        int index = 0;
        for (List<XYSeries> group : List.of(left, right)) {
            if (group.isEmpty()) {
                continue;
            }
            XYSeriesCollection data = new XYSeriesCollection();
            XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
            for (int i = 0; i < group.size(); i++) {
                XYSeries xy = group.get(i);
                data.addSeries(xy);
                boolean sparse = sparse(xy.getItemCount(), densest);
                int rgb = specOf.get(xy).rgb() >= 0 ? specOf.get(xy).rgb() : PALETTE[color++ % PALETTE.length];
                boolean twin = !sparse && specOf.get(xy).rgb() >= 0 && sparseColors.contains(rgb);
                renderer.setSeriesPaint(i, twin ? tint(rgb, DENSE_TINT) : new Color(rgb));
                renderer.setSeriesStroke(i, new BasicStroke(sparse ? 2.2f : 1.3f, BasicStroke.CAP_ROUND,
                        BasicStroke.JOIN_ROUND));
                renderer.setSeriesShapesVisible(i, sparse);
                renderer.setSeriesShape(i, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
            }
            NumberAxis y = new NumberAxis(group == left ? spec.yLabel() : spec.y2Label());
            y.setAutoRangeIncludesZero(false);
            plot.setRangeAxis(index, y);
            plot.setDataset(index, data);
            plot.setRenderer(index, renderer);
            plot.mapDatasetToRangeAxis(index, index);
            index++;
        }
        if (index == 2) {
            plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
        }
        return styled(spec.title(), plot);
    }

    /** The house style around {@code plot}: fonts, white background, light grid, the legend below. */
    static JFreeChart styled(String title, XYPlot plot) {
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        for (ValueAxis a : axes(plot)) {
            a.setLabelFont(labelFont);
            a.setTickLabelFont(tickFont);
            a.setLabelPaint(Color.DARK_GRAY);
            a.setTickLabelPaint(Color.DARK_GRAY);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));

        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 17), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        chart.setPadding(new RectangleInsets(6, 6, 6, 12));
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        legend.setBackgroundPaint(Color.WHITE);
        legend.setFrame(new BlockBorder(Color.WHITE));
        return chart;
    }

    private static boolean sparse(int points, int densest) {
        return points <= SPARSE_POINTS || points * 4 <= densest;
    }

    /** {@code rgb} mixed with white: {@code share} of white. */
    private static Color tint(int rgb, float share) {
        Color c = new Color(rgb);
        return new Color(Math.round(c.getRed() + (255 - c.getRed()) * share),
                Math.round(c.getGreen() + (255 - c.getGreen()) * share),
                Math.round(c.getBlue() + (255 - c.getBlue()) * share));
    }

    private static List<ValueAxis> axes(XYPlot plot) {
        List<ValueAxis> axes = new ArrayList<>();
        axes.add(plot.getDomainAxis());
        for (int i = 0; i < plot.getRangeAxisCount(); i++) {
            if (plot.getRangeAxis(i) != null) {
                axes.add(plot.getRangeAxis(i));
            }
        }
        return axes;
    }

    /**
     * Selects the headless AWT toolkit (no display needed) before any AWT class is touched; a JVM
     * started with a display keeps working since this only affects toolkits not yet created.
     */
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }
}
