package rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Llama 3's rotary frequency scaling against values worked out by hand. */
class RopeScalingTest {
    private final RopeScaling s = new RopeScaling(8, 1, 4, 16);   // wavelengths below 4 kept, above 16 divided by 8

    @Test
    void keepsShortWavelengthsDividesLongOnesAndBlendsBetween() {
        assertEquals(2.0, s.apply(2.0), 0.0);                     // wavelength π < 4
        assertEquals(0.1 / 8, s.apply(0.1), 1e-15);               // wavelength 62.8 > 16
        double smooth = (16 / (2 * Math.PI) - 1) / (4 - 1);      // wavelength 2π: 16/2π = 2.546 of the original
        assertEquals((1 - smooth) / 8 + smooth, s.apply(1.0), 1e-15);
        assertEquals(0.576056, s.apply(1.0), 1e-6);            // (1 − 0.515493)/8 + 0.515493
    }

    @Test
    void refusesFactorsThatMeanNothing() {
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling(0.5, 1, 4, 16));
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling(8, 4, 1, 16));
        assertThrows(IllegalArgumentException.class, () -> new RopeScaling(8, 1, 4, 0));
    }

    @Test
    void rotaryTablesUseTheScaledFrequencies() {
        GptSpec plain = new GptSpec(1, 1, 8, 32, 10, Norm.RMSNORM, Position.ROPE);
        GptSpec scaled = plain.withRopeScaling(s);
        for (int i = 0; i < 4; i++) {
            assertEquals(s.apply(new Rotary(plain).frequency(i)), new Rotary(scaled).frequency(i), 0.0, "pair " + i);
        }
        assertEquals(1.0, new Rotary(scaled).frequency(0) / s.apply(1.0), 0.0);  // θ⁰ = 1: the blended band
    }
}
