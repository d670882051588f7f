package rlhf4j.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When the memory relief asks for a collection: past half the cap, and an eighth of it above the last floor. */
class MemoryReliefTest {
    @Test
    void collectsPastHalfTheCapAndThenOnlyAfterGrowth() {
        MemoryRelief relief = new MemoryRelief(8_000);
        assertFalse(relief.due(3_999), "below half the cap");
        assertTrue(relief.due(4_001), "past half, nothing collected yet");
        relief.collected(4_500);                       // freed memory is kept for reuse: 4,500 is the new floor
        assertFalse(relief.due(5_400), "900 above the floor is less than an eighth of the cap");
        assertTrue(relief.due(5_600), "1,100 above the floor");
        relief.collected(3_000);
        assertFalse(relief.due(3_900), "below half again");
        assertEquals(2, relief.collections());
    }

    @Test
    void collectsNearTheCapWhateverTheFloor() {
        MemoryRelief relief = new MemoryRelief(8_000);
        relief.collected(6_800);                       // a high floor: floor + an eighth would be past the cap
        assertFalse(relief.due(6_900), "below seven eighths and near the floor");
        assertTrue(relief.due(7_100), "past seven eighths of the cap");
    }

    @Test
    void noCapNoCollection() {
        MemoryRelief relief = new MemoryRelief(0);
        relief.check();
        assertEquals(0, relief.collections());
    }
}
