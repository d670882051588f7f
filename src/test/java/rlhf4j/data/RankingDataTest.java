package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.data.DataFiles.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/** Ranking rows: the pairs a ranking or scores imply, JSONL and CSV alike, mixed with pair rows, and every error. */
class RankingDataTest {
    @TempDir
    Path dir;

    private static RankingExample.Pair pair(int better, int worse) {
        return new RankingExample.Pair(better, worse, 0);
    }

    @Test
    void aRankingGivesAllItsPairsAndScoresGiveOnlyTheUnequalOnes() throws IOException {
        Path file = write(dir, "r.jsonl", String.join("\n",
                "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [2, 0, 1]}",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"q2\"}], \"responses\": [\"a\", [{\"role\": "
                        + "\"assistant\", \"content\": \"b\"}], \"c\", \"d\"], \"scores\": [0.5, 2, 0.5, -1]}",
                "{\"prompt\": \"q3\", \"chosen\": \"yes\", \"rejected\": \"no\", \"margin\": 0.5}",
                "{\"prompt\": \"q4\", \"responses\": [\"a\", \"b\"], \"scores\": [1, 1]}", ""));
        RowSkips skips = new RowSkips(false);
        List<RankingExample> rows = RankingData.read(file, skips);
        assertEquals(List.of(pair(2, 0), pair(2, 1), pair(0, 1)), rows.get(0).pairs());
        assertEquals(2, rows.get(0).best());
        assertEquals(List.of("a", "b", "c", "d"), rows.get(1).responses());
        assertEquals(List.of(pair(0, 3), pair(1, 0), pair(1, 2), pair(1, 3), pair(2, 3)), rows.get(1).pairs());
        assertEquals(1, rows.get(1).best());
        assertEquals(List.of("yes", "no"), rows.get(2).responses());
        assertEquals(List.of(new RankingExample.Pair(0, 1, 0.5)), rows.get(2).pairs());
        assertEquals(3, rows.size(), "equal scores give no pair: the row is skipped");
        assertEquals(1, skips.count());
        assertTrue(skips.warning("rm.data.strict").orElseThrow().contains("r.jsonl:4"));
        DataFiles.assertError(file, 4, "no pair to learn from: every response is judged equal or has the same text",
                () -> RankingData.read(file));
    }

    @Test
    void csvHoldsTheListsAsJson() throws IOException {
        Path csv = write(dir, "r.csv", "prompt,responses,ranking\nq,\"[\"\"a\"\", \"\"b\"\", \"\"c\"\"]\",\"[2, 0, 1]\"\n");
        Path jsonl = write(dir, "r.jsonl", "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [2, 0, 1]}\n");
        RankingExample a = RankingData.read(csv).get(0);
        RankingExample b = RankingData.read(jsonl).get(0);
        assertEquals(b.prompt(), a.prompt());
        assertEquals(b.responses(), a.responses());
        assertEquals(b.pairs(), a.pairs());
        assertEquals(2, RankingData.read(List.of(csv, jsonl), RowSkips.strict()).size());
    }

    @Test
    void identicalResponsesGiveNoPairBetweenThem() throws IOException {
        Path file = write(dir, "r.jsonl", "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"a\"], \"ranking\": [0, 1, 2]}\n");
        assertEquals(List.of(pair(0, 1), pair(1, 2)), RankingData.read(file).get(0).pairs());
    }

    @Test
    void malformedRankingsAreErrorsNamingFileAndLine() throws IOException {
        String good = "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [1, 0]}\n";
        String[][] cases = {
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [0, 1, 1]}", "not a permutation"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [0, 2]}", "index 2 is out of range"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [-1, 0]}", "index -1 is out of range"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [0, 1]}", "2 entries for 3 responses"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"scores\": [1]}", "1 entries for 2 responses"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\"], \"ranking\": [0]}", "at least 2 responses"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"scores\": [1, \"x\"]}", "must be a finite number"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"scores\": [1, 1e999]}", "must be a finite number"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [0.5, 1]}", "must be an index"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"]}", "missing column \"ranking\" or \"scores\""},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [0, 1], \"scores\": [1, 0]}", "not both"},
            {"{\"prompt\": \"q\", \"responses\": \"a\", \"ranking\": [0]}", "\"responses\" must be a list"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", \" \"], \"ranking\": [0, 1]}", "empty response"},
            {"{\"prompt\": \"q\", \"responses\": [\"a\", 3], \"ranking\": [0, 1]}", "must be a string or a list"},
            {"{\"responses\": [\"a\", \"b\"], \"ranking\": [0, 1]}", "missing column \"prompt\""},
        };
        for (String[] c : cases) {
            Path file = write(dir, "bad.jsonl", good + c[0] + "\n");
            DataException e = assertThrows(DataException.class, () -> RankingData.read(file), c[0]);
            assertTrue(e.getMessage().startsWith(file + ":2: ") && e.getMessage().contains(c[1]), e.getMessage());
            assertEquals(2, e.line());
        }
        Path csv = write(dir, "bad.csv", "prompt,responses,scores\nq,\"[\"\"a\"\", \"\"b\"\"]\",\"[1, oops]\"\n");
        DataException e = assertThrows(DataException.class, () -> RankingData.read(csv));
        assertTrue(e.getMessage().startsWith(csv + ":2: invalid JSON in \"scores\""), e.getMessage());
    }
}
