package rlhf4j.stage.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.checkpoint.Json;

/** {@link KlController}: the Ziegler et al. update on hand-computed numbers, and the exact state round trip. */
class KlControllerTest {

    @Test
    void fixedNeverChanges() {
        KlController c = KlController.fixed(0.02);
        for (double kl : new double[] {0.0, 0.02, 100.0, -5.0, 1e9}) {
            c.update(kl, 512);
            assertEquals(0.02, c.beta(), 0.0);
        }
        assertFalse(c.isAdaptive());
        assertEquals(0.0, KlController.fixed(0.0).beta(), 0.0);   // β = 0: no KL penalty
    }

    @Test
    void adaptiveAboveTargetGrowsByTheClippedFactor() {
        // TRL defaults: β₀ = 0.2, target 6, horizon 10000; a batch of n = 256 with KL 10.
        // KL/target − 1 = 10/6 − 1 = 0.667 → clipped to 0.2
        // β ← 0.2·(1 + 0.2·256/10000) = 0.2·(1 + 51.2/10000) = 0.2·1.00512 = 0.201024
        KlController c = KlController.adaptive(0.2, 6.0, 10000);
        c.update(10.0, 256);
        assertEquals(0.201024, c.beta(), 1e-15);
        assertEquals(0.2 * (1.0 + 0.2 * 256 / 10000), c.beta(), 0.0);   // the same expression, bit for bit
        // any KL more than 20% above the target moves β by the same factor: 50 → 8.33 − 1, clipped too
        KlController d = KlController.adaptive(0.2, 6.0, 10000);
        d.update(50.0, 256);
        assertEquals(c.beta(), d.beta(), 0.0);
        // a second step multiplies again: 0.201024·1.00512 = 0.20205324288
        c.update(10.0, 256);
        assertEquals(0.20205324288, c.beta(), 1e-15);
    }

    @Test
    void adaptiveBelowTargetShrinks() {
        // KL 0: 0/6 − 1 = −1 → clipped to −0.2; β ← 0.2·(1 − 0.2·256/10000) = 0.2·0.99488 = 0.198976
        KlController c = KlController.adaptive(0.2, 6.0, 10000);
        c.update(0.0, 256);
        assertEquals(0.198976, c.beta(), 1e-15);
        // a negative KL (possible with k1) is clipped the same way
        KlController d = KlController.adaptive(0.2, 6.0, 10000);
        d.update(-3.0, 256);
        assertEquals(c.beta(), d.beta(), 0.0);
    }

    @Test
    void adaptiveWithinRangeIsProportional() {
        // target 4, horizon 1000, n = 100, β₀ = 0.5
        // KL 4.5:  4.5/4 − 1 = 0.125  (inside ±0.2) → β ← 0.5·(1 + 0.125·100/1000) = 0.5·1.0125 = 0.50625
        KlController up = KlController.adaptive(0.5, 4.0, 1000);
        up.update(4.5, 100);
        assertEquals(0.50625, up.beta(), 1e-15);
        // KL 3.5:  3.5/4 − 1 = −0.125 → β ← 0.5·(1 − 0.0125) = 0.5·0.9875 = 0.49375
        KlController down = KlController.adaptive(0.5, 4.0, 1000);
        down.update(3.5, 100);
        assertEquals(0.49375, down.beta(), 1e-15);
        // half the error, half the step: KL 4.25 → e = 0.0625 → 0.5·(1 + 0.00625) = 0.503125
        KlController half = KlController.adaptive(0.5, 4.0, 1000);
        half.update(4.25, 100);
        assertEquals(0.503125, half.beta(), 1e-15);
        // twice the steps, twice the step: KL 4.5 with n = 200 → 0.5·(1 + 0.025) = 0.5125
        KlController twice = KlController.adaptive(0.5, 4.0, 1000);
        twice.update(4.5, 200);
        assertEquals(0.5125, twice.beta(), 1e-15);
        // exactly on target, or no steps: β unchanged, bit for bit
        KlController on = KlController.adaptive(0.5, 4.0, 1000);
        on.update(4.0, 100);
        on.update(9.0, 0);
        assertEquals(0.5, on.beta(), 0.0);
    }

    @Test
    void stateRoundTripThroughJsonIsExact() {
        KlController c = KlController.adaptive(0.2, 6.0, 10000);
        // a few irregular updates so that β uses all 53 bits of its mantissa
        double[] kls = {7.3, 1.1, 6.7, 12.0, 5.9, 0.3};
        for (double kl : kls) {
            c.update(kl, 97);
        }
        String json = Json.toString(c.state());
        KlController back = KlController.fromState(Json.parse(json));
        assertEquals(Double.doubleToRawLongBits(c.beta()), Double.doubleToRawLongBits(back.beta()), json);
        assertTrue(back.isAdaptive());
        assertEquals(6.0, back.target(), 0.0);
        assertEquals(10000, back.horizon());
        // the resumed controller goes on exactly as the original would have
        for (double kl : kls) {
            c.update(kl, 64);
            back.update(kl, 64);
            assertEquals(Double.doubleToRawLongBits(c.beta()), Double.doubleToRawLongBits(back.beta()));
        }
        // from the map itself, as well
        KlController fromMap = KlController.fromState(c.state());
        assertEquals(Double.doubleToRawLongBits(c.beta()), Double.doubleToRawLongBits(fromMap.beta()));
    }

    @Test
    void stateContents() {
        Map<String, Object> adaptive = KlController.adaptive(0.2, 6.0, 10000).state();
        assertEquals(List.of("kind", "beta", "target", "horizon"), List.copyOf(adaptive.keySet()));
        assertEquals("adaptive", adaptive.get("kind"));
        assertEquals(0.2, adaptive.get("beta"));
        assertEquals(6.0, adaptive.get("target"));
        assertEquals(10000, adaptive.get("horizon"));
        Map<String, Object> fixed = KlController.fixed(0.02).state();
        assertEquals(Map.of("kind", "fixed", "beta", 0.02), fixed);
        KlController back = KlController.fromState(Json.parse(Json.toString(fixed)));
        assertFalse(back.isAdaptive());
        assertEquals(0.02, back.beta(), 0.0);
        back.update(100.0, 1000);
        assertEquals(0.02, back.beta(), 0.0);
    }

    @Test
    void badStateIsRejected() {
        for (String bad : new String[] {
                "[]",
                "{}",
                "{\"kind\": \"fixed\"}",
                "{\"kind\": \"fixed\", \"beta\": \"0.1\"}",
                "{\"kind\": \"fixed\", \"beta\": -0.1}",
                "{\"kind\": \"fixed\", \"beta\": 0.1, \"target\": 6}",
                "{\"kind\": \"adaptiv\", \"beta\": 0.1}",
                "{\"kind\": \"adaptive\", \"beta\": 0.1, \"target\": 6}",
                "{\"kind\": \"adaptive\", \"beta\": 0.1, \"target\": 6, \"horizon\": 1.5}",
                "{\"kind\": \"adaptive\", \"beta\": 0.1, \"target\": 6, \"horizon\": 0}",
                "{\"kind\": \"adaptive\", \"beta\": 0.1, \"target\": 0, \"horizon\": 10}",
                "{\"kind\": \"adaptive\", \"beta\": 0.1, \"target\": 6, \"horizon\": 10, \"x\": 1}"}) {
            JsonNode node = Json.parse(bad);
            assertThrows(IllegalArgumentException.class, () -> KlController.fromState(node), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> KlController.fromState((JsonNode) null));
        assertThrows(IllegalArgumentException.class, () -> KlController.fromState((Map<String, Object>) null));
        Map<String, Object> noKind = new LinkedHashMap<>();
        noKind.put("beta", 0.1);
        assertThrows(IllegalArgumentException.class, () -> KlController.fromState(noKind));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> KlController.fixed(-0.1));
        assertThrows(IllegalArgumentException.class, () -> KlController.fixed(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> KlController.fixed(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> KlController.adaptive(0.0, 6.0, 10000));
        assertThrows(IllegalArgumentException.class, () -> KlController.adaptive(0.2, 0.0, 10000));
        assertThrows(IllegalArgumentException.class, () -> KlController.adaptive(0.2, 6.0, 0));
        KlController c = KlController.adaptive(0.2, 6.0, 10000);
        assertThrows(IllegalArgumentException.class, () -> c.update(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> c.update(Double.POSITIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> c.update(1.0, -1));
        assertEquals(0.2, c.beta(), 0.0);   // a rejected update leaves β alone
    }
}
