package rlhf4j.report;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link MetricsPlot} chart shows: a title, axis labels with units, the metrics.csv columns
 * to draw (each on the left axis or on a second, right-hand axis, optionally scaled, e.g. a 0–1
 * share drawn as a percentage) and the image size in pixels.
 *
 * @param title   chart title
 * @param xLabel  label of the step axis
 * @param yLabel  label of the left axis, with units
 * @param y2Label label of the right axis (used only when a series is on it)
 * @param series  the columns to draw, in legend order
 * @param width   image width in pixels
 * @param height  image height in pixels
 */
public record PlotSpec(String title, String xLabel, String yLabel, String y2Label, List<Series> series, int width,
                       int height) {
    public static final int WIDTH = 900;
    public static final int HEIGHT = 450;
    public static final String STEP_AXIS = "optimizer step";

    /**
     * One line of the chart.
     *
     * @param column     the metrics.csv column
     * @param label      its legend entry
     * @param scale      factor applied to every value before drawing (1 for none)
     * @param secondAxis draw against the right-hand axis
     * @param rgb        line colour as 0xRRGGBB, or -1 for the next colour of the palette
     */
    public record Series(String column, String label, double scale, boolean secondAxis, int rgb) {
        public Series {
            if (!(scale != 0 && Double.isFinite(scale))) {
                throw new IllegalArgumentException("scale must be finite and non-zero: " + scale);
            }
        }

        /** {@code column} on the left axis, unscaled. */
        public static Series of(String column, String label) {
            return new Series(column, label, 1.0, false, -1);
        }

        public Series scaled(double factor) {
            return new Series(column, label, factor, secondAxis, rgb);
        }

        public Series onSecondAxis() {
            return new Series(column, label, scale, true, rgb);
        }

        /** Draws this series in colour {@code 0xRRGGBB} (e.g. a training metric and its validation twin alike). */
        public Series color(int color) {
            return new Series(column, label, scale, secondAxis, color & 0xFFFFFF);
        }
    }

    public PlotSpec {
        series = List.copyOf(series);
        if (width < 100 || height < 100) {
            throw new IllegalArgumentException("plot size too small: " + width + "x" + height);
        }
    }

    /** A {@value #WIDTH}×{@value #HEIGHT} chart of {@code series} against the optimizer step. */
    public static PlotSpec of(String title, String yLabel, Series... series) {
        return new PlotSpec(title, STEP_AXIS, yLabel, "", List.of(series), WIDTH, HEIGHT);
    }

    /** Adds {@code series} on a right-hand axis labelled {@code label}. */
    public PlotSpec withSecondAxis(String label, Series... more) {
        List<Series> all = new ArrayList<>(series);
        for (Series s : more) {
            all.add(s.onSecondAxis());
        }
        return new PlotSpec(title, xLabel, yLabel, label, all, width, height);
    }

    public PlotSpec withSize(int w, int h) {
        return new PlotSpec(title, xLabel, yLabel, y2Label, series, w, h);
    }
}
