package rlhf4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** metrics.csv: full-precision rows, empty cells for columns not logged, and what a resume keeps. */
class MetricsCsvTest {
    private static final List<String> COLUMNS = List.of("step", "loss", "val_loss");

    @Test
    void rowsHaveEmptyCellsForColumnsNotLogged(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metrics.csv");
        MetricsCsv m = MetricsCsv.open(file, COLUMNS, -1);
        m.append(Map.of("step", 1, "loss", 0.1234567890123));
        m.append(Map.of("step", 2, "loss", 2.0, "val_loss", 1.5));
        assertEquals("step,loss,val_loss\n1,0.1234567890123,\n2,2,1.5\n", Files.readString(file));
    }

    @Test
    void resumeKeepsRowsUpToTheCheckpointAndDropsARowCutShortByAKill(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metrics.csv");
        // rows 1-3 complete, then a kill in the middle of appending row 4: "4,0.2" is all that reached the disk
        Files.writeString(file, "step,loss,val_loss\n1,0.5,\n2,0.4,0.45\n3,0.3,\n4,0.2");
        MetricsCsv.open(file, COLUMNS, 3);
        assertEquals("step,loss,val_loss\n1,0.5,\n2,0.4,0.45\n3,0.3,\n", Files.readString(file));
        // a cut row whose first field happens to read as an early step is dropped too
        Files.writeString(file, "step,loss,val_loss\n1,0.5,\n2,0.4,0.45\n1");
        MetricsCsv.open(file, COLUMNS, 2);
        assertEquals("step,loss,val_loss\n1,0.5,\n2,0.4,0.45\n", Files.readString(file));
        // a fresh start empties it; no temp file is left behind
        MetricsCsv.open(file, COLUMNS, -1);
        assertEquals("step,loss,val_loss\n", Files.readString(file));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(file), files.toList());
        }
    }
}
