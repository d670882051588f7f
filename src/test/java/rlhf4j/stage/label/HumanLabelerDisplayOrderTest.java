package rlhf4j.stage.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The human labeler's display order ({@link DisplayOrder}): a fixed, varied shuffle and its two mappings. */
class HumanLabelerDisplayOrderTest {
    private static int[] shown(DisplayOrder order) {
        int[] s = new int[order.size()];
        for (int d = 0; d < s.length; d++) {
            s[d] = order.taskIndex(d);
        }
        return s;
    }

    @Test
    void aPermutationFixedBySeedAndId() {
        for (int k = 2; k <= 6; k++) {
            int[] s = shown(DisplayOrder.of(7, "p000003", k));
            assertArrayEquals(s, shown(DisplayOrder.of(7, "p000003", k)), "same seed and id, same order");
            int[] sorted = s.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < k; i++) {
                assertEquals(i, sorted[i], "a permutation of 0.." + (k - 1) + ": " + Arrays.toString(s));
            }
        }
    }

    @Test
    void ordersVaryAcrossTasksAndSeeds() {
        // every answer is shown first for some task, and a different seed moves some task
        int[] firstCounts = new int[4];
        Set<String> distinct = new HashSet<>();
        boolean seedMatters = false;
        for (int i = 0; i < 200; i++) {
            String id = String.format("p%06d", i);
            int[] s = shown(DisplayOrder.of(1, id, 4));
            firstCounts[s[0]]++;
            distinct.add(Arrays.toString(s));
            seedMatters |= !Arrays.equals(s, shown(DisplayOrder.of(2, id, 4)));
        }
        for (int c : firstCounts) {
            assertTrue(c > 20, "each answer comes first about a quarter of the time: " + Arrays.toString(firstCounts));
        }
        assertTrue(distinct.size() > 15, "most of the 24 orders of four answers occur: " + distinct.size());
        assertTrue(seedMatters);
    }

    @Test
    void rankingsMapBothWays() {
        DisplayOrder order = DisplayOrder.of(42, "p000001", 4);
        int[] display = {2, 0, 3, 1};
        int[] task = order.toTask(display);
        for (int i = 0; i < 4; i++) {
            assertEquals(order.taskIndex(display[i]), task[i]);
        }
        assertArrayEquals(display, order.toDisplay(task));
    }
}
