package rlhf4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

class JsonTest {
    @TempDir
    Path dir;

    record State(long step, double loss, List<Integer> rng, Map<String, String> extra) {}

    @Test
    void prettyStableRoundTrip() throws Exception {
        LinkedHashMap<String, String> extra = new LinkedHashMap<>();
        extra.put("z", "last");
        extra.put("a", "first");
        State s = new State(12, 0.25, List.of(1, 2), extra);
        Path f = dir.resolve("state.json");
        Json.write(f, s);
        String text = Files.readString(f);
        assertEquals("{\n  \"step\": 12,\n  \"loss\": 0.25,\n  \"rng\": [\n    1,\n    2\n  ],\n"
                + "  \"extra\": {\n    \"z\": \"last\",\n    \"a\": \"first\"\n  }\n}\n", text);
        assertEquals(s, Json.read(f, State.class));
        assertEquals(12, Json.readTree(f).get("step").asLong());
        assertEquals(text, Json.toString(s) + "\n");
        assertEquals("{}", Json.toString(Map.of()));
        JsonNode node = Json.parse("{\"step\":3,\"loss\":1.5,\"rng\":[],\"extra\":{}}");
        assertEquals(3, Json.convert(node, State.class).step());
    }

    @Test
    void badJsonNamesFileAndLine() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
        DataException e = assertThrows(DataException.class, () -> Json.readTree(f));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(f + ":3: invalid JSON"), e.getMessage());
        assertThrows(DataException.class, () -> Json.read(f, State.class));

        Path wrong = dir.resolve("wrong.json");
        Files.writeString(wrong, "{\n  \"step\": \"many\"\n}");
        assertEquals(2, assertThrows(DataException.class, () -> Json.read(wrong, State.class)).line());
        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "");
        assertThrows(DataException.class, () -> Json.readTree(empty));
    }
}
