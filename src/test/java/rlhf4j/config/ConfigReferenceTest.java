package rlhf4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generated key reference covers every key. */
class ConfigReferenceTest {
    @Test
    void everyKeyHasARowWithDefaultAndMeaning() {
        String md = ConfigReference.markdown();
        List<String> keys = new ArrayList<>();
        flatten(ConfigLoader.toMap(ConfigLoader.defaults()), "", keys);
        assertTrue(keys.size() > 30, "keys: " + keys);
        for (String key : keys) {
            assertTrue(md.contains("| `" + key + "` |"), "missing " + key);
        }
        assertEquals(keys.size() + 2, md.split("\n").length);
        assertTrue(md.contains("| `model.n_embd` | integer | 128 | embedding width (d_model) |"), md);
        assertTrue(md.contains("| `pretrain.learning_rate` | number | 0.003 |"), md);
        assertTrue(md.contains("| `pretrain.eps` | number | 1e-8 |"), md);
        assertTrue(md.contains("| `pretrain.sample_prompts` | list of strings | [The Congress, Our nation] |"), md);
    }

    @Test
    void formatsDefaultsAsAUserWouldWriteThem() {
        assertEquals("3e-4", Values.format(3e-4));
        assertEquals("1e-5", Values.format(1e-5));
        assertEquals("0.02", Values.format(0.02));
        assertEquals("1.0", Values.format(1.0));
        assertEquals("0.0", Values.format(0.0));
        assertEquals("[a, b]", Values.format(List.of("a", "b")));
    }

    @SuppressWarnings("unchecked")
    private static void flatten(Map<String, Object> map, String path, List<String> out) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m) {
                flatten((Map<String, Object>) m, key, out);
            } else {
                out.add(key);
            }
        }
    }
}
