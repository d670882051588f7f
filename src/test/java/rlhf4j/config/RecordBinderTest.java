package rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The binder knows nothing about ExperimentConfig: any record of supported types binds. */
class RecordBinderTest {
    enum Mode { FIXED, ADAPTIVE }

    record Inner(@Doc("k") double klCoef) {
        Inner {
            Check.require(klCoef >= 0, "kl_coef", "must not be negative, got %s", klCoef);
        }
    }

    record Demo(@Doc("m") Mode mode, @Doc("s") List<Integer> sizes, @Doc("i") Inner inner, @Doc("n") long bigNumber) {
    }

    private static final Demo BASE = new Demo(Mode.FIXED, List.of(1), new Inner(0.5), 1L);

    private static Demo bind(Map<String, ?> raw) {
        return new RecordBinder(new HashMap<>(), null).bind(Demo.class, raw, BASE, "");
    }

    @Test
    void bindsEnumsListsOfIntsAndNestedRecords() {
        Demo d = bind(Map.of("mode", "Adaptive", "sizes", "2, 3", "inner", Map.of("kl_coef", "1e-2"),
                "big_number", "12345678901"));
        assertEquals(new Demo(Mode.ADAPTIVE, List.of(2, 3), new Inner(0.01), 12345678901L), d);
        assertEquals(BASE, bind(Map.of()));
        assertEquals(List.of(4, 5), bind(Map.of("sizes", List.of(4, "5"))).sizes());
        Map<String, Object> map = Records.toMap(d);
        assertEquals("adaptive", map.get("mode"));
        assertEquals(d, bind(map));
    }

    @Test
    void errorsNameTheNestedKey() {
        String m = assertThrows(ConfigException.class, () -> bind(Map.of("mode", "sometimes"))).getMessage();
        assertEquals("mode: expected one of fixed, adaptive, got \"sometimes\"", m);
        m = assertThrows(ConfigException.class, () -> bind(Map.of("inner", Map.of("kl_coef", -1)))).getMessage();
        assertEquals("inner.kl_coef: must not be negative, got -1.0", m);
        m = assertThrows(ConfigException.class, () -> bind(Map.of("sizes", "1, x"))).getMessage();
        assertTrue(m.startsWith("sizes: item 2: expected an integer"), m);
    }
}
