package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.data.DataFiles.assertError;
import static rlhf4j.data.DataFiles.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/**
 * Useless rows (well-formed, nothing to learn) are skipped and counted with their FILE:LINEs, or are the error
 * when strict; malformed rows are errors either way.
 */
class RowSkipsTest {
    @TempDir
    Path dir;

    @Test
    void uselessPairsAndAnswersAreSkippedAndNamed() throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            rows.append("{\"prompt\": \"q").append(i).append("\", \"chosen\": \"a\", \"rejected\": \"a\"}\n");
        }
        rows.append("{\"prompt\": \"p\", \"chosen\": \"good\", \"rejected\": \"bad\"}\n");
        rows.append("{\"prompt\": \"p\", \"chosen\": \"good\", \"rejected\": \"  \"}\n");
        Path file = write(dir, "p.jsonl", rows.toString());
        RowSkips skips = new RowSkips(false);
        List<PreferenceExample> kept = PreferenceData.read(file, skips);
        assertEquals(1, kept.size());
        assertEquals(6, kept.get(0).line());
        assertEquals(6, skips.count());
        String w = skips.warning("rm.data.strict").orElseThrow();
        assertTrue(w.startsWith("warning: skipped 6 rows that cannot train: 5 × chosen and rejected are identical ("
                + file + ":1, " + file + ":2, " + file + ":3, …); 1 × \"rejected\": empty response (" + file + ":7)"), w);
        assertTrue(w.endsWith("rm.data.strict: true makes them errors"), w);
        assertError(file, 1, "chosen and rejected are identical", () -> PreferenceData.read(file, RowSkips.strict()));
    }

    @Test
    void emptyAnswersInSftAndRankingsAndTheirMalformedNeighbours() throws IOException {
        Path sft = write(dir, "s.jsonl", "{\"prompt\": \"q\", \"completion\": \"\"}\n{\"prompt\": \"q\", \"completion\": \"a\"}\n");
        RowSkips skips = new RowSkips(false);
        assertEquals(1, SftData.read(sft, skips).size());
        assertEquals(1, skips.count());
        Path rankings = write(dir, "r.jsonl", "{\"prompt\": \"q\", \"responses\": [\"a\", \"\"], \"ranking\": [0, 1]}\n"
                + "{\"prompt\": \"q\", \"responses\": [\"a\", \"a\"], \"ranking\": [0, 1]}\n"
                + "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [0, 1]}\n");
        RowSkips r = new RowSkips(false);
        assertEquals(1, RankingData.read(rankings, r).size());
        assertEquals(2, r.count(), "an empty response, and two identical texts that give no pair");
        // malformed is never skipped
        Path bad = write(dir, "b.jsonl", "{\"prompt\": \"q\", \"completion\": 3}\n");
        assertError(bad, 1, "\"completion\" must be a string or a list with one assistant message",
                () -> SftData.read(bad, new RowSkips(false)));
        assertTrue(new RowSkips(false).warning("x").isEmpty());
    }

    @Test
    void aRowFoundUselessLaterIsCountedOrIsTheError() {
        RowSkips lenient = new RowSkips(false);
        lenient.skip(Path.of("s.jsonl"), 4, "the prompt fills block_size 64");
        assertEquals(1, lenient.count());
        assertTrue(lenient.warning("sft.data.strict").orElseThrow().contains("1 × the prompt fills block_size 64 (s.jsonl:4)"));
        DataException e = org.junit.jupiter.api.Assertions.assertThrows(DataException.class,
                () -> RowSkips.strict().skip(Path.of("s.jsonl"), 4, "the prompt fills block_size 64"));
        assertEquals("s.jsonl:4: the prompt fills block_size 64", e.getMessage());
    }
}
