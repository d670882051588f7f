package rlhf4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/** MetricsTable parsing and MetricsPlot PNGs: sparse columns, second axis, scaling, nothing to draw. */
class MetricsPlotTest {
    @TempDir
    Path dir;

    private Path csv(String text) throws Exception {
        Path f = dir.resolve("metrics.csv");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void tableKeepsLoggedCellsOnly() throws Exception {
        MetricsTable t = MetricsTable.read(csv(FakeRun.PRETRAIN_CSV));
        assertEquals("step", t.columns().get(0));
        assertEquals(7, t.rows());
        assertEquals(7, t.points("loss").size());
        assertEquals(List.of(new MetricsTable.Point(3, 2.718281828459045), new MetricsTable.Point(6, 1.414213562373095)),
                t.points("val_bpb"));
        assertEquals(1.414213562373095, t.last("val_bpb").getAsDouble());       // last non-empty, not the last row
        assertEquals(5.987654321, t.first("val_loss").getAsDouble());
        assertEquals(3, t.firstStep("val_loss"));
        assertEquals(6, t.lastStep("val_loss"));
        assertTrue(t.last("no_such_column").isEmpty());
        assertEquals(0, t.skippedCells());
    }

    @Test
    void tableSkipsCellsThatAreNotNumbersAndShortRows() throws Exception {
        MetricsTable t = MetricsTable.read(csv("step,loss,val_loss\n1,2.5,\n2,oops,1.5\n3,NaN\nx,1,1\n4,2.0"));
        assertEquals(List.of(new MetricsTable.Point(1, 2.5), new MetricsTable.Point(3, Double.NaN),
                new MetricsTable.Point(4, 2.0)), t.points("loss"));
        assertEquals(1.5, t.last("val_loss").getAsDouble());
        assertEquals(2, t.skippedCells());
    }

    @Test
    void headerMustStartWithStep() throws Exception {
        assertThrows(DataException.class, () -> MetricsTable.read(csv("loss,step\n1,2\n")));
    }

    @Test
    void writesAReadablePngOfTheChosenColumns() throws Exception {
        Path png = dir.resolve("plots/loss.png");
        PlotSpec spec = PlotSpec.of("Pretraining: loss", "loss (nats per token)",
                PlotSpec.Series.of("loss", "training loss"), PlotSpec.Series.of("val_loss", "validation loss"));
        assertTrue(MetricsPlot.write(csv(FakeRun.PRETRAIN_CSV), spec, png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(PlotSpec.WIDTH, img.getWidth());
        assertEquals(PlotSpec.HEIGHT, img.getHeight());
        assertEquals(0xFFFFFF, img.getRGB(2, 2) & 0xFFFFFF, "white background");
        try (var files = Files.list(png.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void secondAxisHoldsItsOwnSeries() throws Exception {
        MetricsTable t = MetricsTable.read(csv(FakeRun.PPO_CSV));
        PlotSpec spec = PipelineReport.plotSpec("ppo").orElseThrow();
        JFreeChart chart = MetricsPlot.chart(t, spec);
        XYPlot plot = chart.getXYPlot();
        assertEquals(2, plot.getDatasetCount());
        assertEquals(4, plot.getDataset(0).getSeriesCount());                 // reward, val reward, kl, val kl
        assertEquals(1, plot.getDataset(1).getSeriesCount());                 // β
        assertEquals("β (KL coefficient)", plot.getRangeAxis(1).getLabel());
        assertEquals(0.049, plot.getDataset(1).getYValue(0, 3));
        assertEquals(PlotSpec.STEP_AXIS, plot.getDomainAxis().getLabel());

        Path png = dir.resolve("ppo.png");
        assertTrue(MetricsPlot.write(t, spec.withSize(600, 300), png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(600, img.getWidth());
        assertEquals(300, img.getHeight());
    }

    @Test
    void scaledSeriesAndNothingToDraw() throws Exception {
        MetricsTable t = MetricsTable.read(csv(FakeRun.SFT_CSV));
        JFreeChart chart = MetricsPlot.chart(t, PipelineReport.plotSpec("sft").orElseThrow());
        XYPlot plot = chart.getXYPlot();
        assertEquals(37.5, plot.getDataset(1).getYValue(1, 1), 1e-12);        // exact match 0.375 drawn as %

        PlotSpec none = PlotSpec.of("nothing", "y", PlotSpec.Series.of("reward_mean", "reward"));
        Path png = dir.resolve("none.png");
        assertFalse(MetricsPlot.write(t, none, png));
        assertFalse(Files.exists(png));
    }
}
