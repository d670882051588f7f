package rlhf4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    private final LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 110);

    @Test
    void warmupIsLinearFromTheFirstStep() {
        assertEquals(1e-4, s.lr(0), 1e-15);          // 1e-3 * 1 / 10
        assertEquals(5e-4, s.lr(4), 1e-15);          // mid-warmup: 1e-3 * 5 / 10
        assertEquals(1e-3, s.lr(9), 1e-15);          // last warmup step reaches maxLr
    }

    @Test
    void cosineDecayFromEndOfWarmupToMaxSteps() {
        assertEquals(1e-3, s.lr(10), 1e-15);         // progress 0
        assertEquals(5.5e-4, s.lr(60), 1e-15);       // progress 0.5: min + 0.5 * (max - min)
        double quarter = 1e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.25)) * 9e-4;
        assertEquals(quarter, s.lr(35), 1e-15);
        assertEquals(1e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.99)) * 9e-4, s.lr(109), 1e-15); // last step
        assertEquals(1e-4, s.lr(110), 1e-15);        // progress 1
        assertEquals(1e-4, s.lr(500), 1e-15);        // clipped past the end
    }

    @Test
    void noWarmupAndDegenerateLengths() {
        LrSchedule c = new LrSchedule(2e-3, 0, 0, 0);
        assertEquals(2e-3, c.lr(0), 1e-15);          // maxSteps == warmup: progress 0 / max(1, 0)
        assertEquals(0, c.lr(1), 1e-15);             // then clipped to 1
        LrSchedule d = new LrSchedule(2e-3, 0, 0, 4);
        assertEquals(2e-3, d.lr(0), 1e-15);
        assertEquals(1e-3, d.lr(2), 1e-15);
        assertEquals(3e-3, LrSchedule.constant(3e-3).lr(17), 0);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, 0, 0, 1));
    }
}
