package rlhf4j.stage.rm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.data.RankingExample;
import rlhf4j.loss.Losses;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;

/** A batch of rankings: every pair of a prompt in that prompt's block of the pair table, weighted 1 / (G · pairs). */
class RmBatchTest {
    private static RmGroups.Group group(int k, List<RankingExample.Pair> pairs) {
        List<String> texts = new ArrayList<>();
        List<ChatTemplate.Rendered> rendered = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            texts.add("answer " + i);
            rendered.add(new ChatTemplate.Rendered(new int[] {1, 2, 3 + i}, new int[] {0, 1, 1}));
        }
        return new RmGroups.Group(new RankingExample(null, 1, List.of(Message.user("q")), texts, pairs), rendered);
    }

    @Test
    void aPromptsPairsStayInItsBlock() {
        // a full ranking of 3 (3 pairs), a pair with a margin, a ranking of 4 given by scores with a tie (5 pairs)
        RmGroups.Group a = group(3, List.of(new RankingExample.Pair(2, 0, 0), new RankingExample.Pair(2, 1, 0),
                new RankingExample.Pair(0, 1, 0)));
        RmGroups.Group b = group(2, List.of(new RankingExample.Pair(0, 1, 0.5)));
        RmGroups.Group c = group(4, List.of(new RankingExample.Pair(0, 1, 0), new RankingExample.Pair(0, 2, 0),
                new RankingExample.Pair(0, 3, 0), new RankingExample.Pair(1, 3, 0), new RankingExample.Pair(2, 3, 0)));
        RmTask.Batch batch = RmTask.batch(List.of(a, b, c));
        assertEquals(9, batch.rows().size(), "each response once");
        double[][] w = new double[9][9];                                // [9, 9] better × worse
        double[][] m = new double[9][9];
        for (Losses.Comparison p : batch.comparisons()) {
            w[p.better()][p.worse()] += p.weight();
            m[p.better()][p.worse()] = p.margin();
        }
        int[] block = {0, 0, 0, 1, 1, 2, 2, 2, 2};
        double total = 0;
        int nonzero = 0;
        for (int i = 0; i < 9; i++) {
            for (int j = 0; j < 9; j++) {
                if (w[i][j] != 0) {
                    assertEquals(block[i], block[j], "a pair across prompts at " + i + "," + j);
                    nonzero++;
                }
                total += w[i][j];
            }
        }
        assertEquals(9, nonzero, "3 + 1 + 5 pairs");
        assertEquals(9, batch.comparisons().size());
        assertEquals(1.0, total, 1e-12, "the mean over prompts of the mean over their pairs");
        assertEquals(1.0 / (3 * 3), w[2][0], 1e-15);
        assertEquals(1.0 / 3, w[3][4], 1e-15);
        assertEquals(0.5, m[3][4], 0.0);
        assertEquals(1.0 / (3 * 5), w[5 + 1][5 + 3], 1e-15);
        assertTrue(w[5 + 1][5 + 2] == 0 && w[5 + 2][5 + 1] == 0, "a tie gives no pair");
    }
}
