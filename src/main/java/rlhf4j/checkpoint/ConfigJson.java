package rlhf4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import rlhf4j.io.DataException;
import rlhf4j.model.Activation;
import rlhf4j.model.RopeScaling;

/**
 * Reading an untrusted {@code config.json}: integers within bounds far above any model this project trains (so
 * nothing huge is allocated), the activation by its Hugging Face name, epsilons, enum choices and settings that
 * must hold a given value; every error names the file and the key.
 */
final class ConfigJson {
    private static final int MAX_LAYERS = 1024;
    private static final int MAX_HEADS = 1024;
    private static final int MAX_WIDTH = 1 << 18;
    private static final int MAX_POSITIONS = 1 << 20;
    private static final int MAX_VOCAB = 1 << 21;

    private ConfigJson() {}

    static int layers(Path file, JsonNode c, String key) {
        return integer(file, c, key, MAX_LAYERS);
    }

    static int heads(Path file, JsonNode c, String key) {
        return integer(file, c, key, MAX_HEADS);
    }

    static int width(Path file, JsonNode c, String key) {
        return integer(file, c, key, MAX_WIDTH);
    }

    static int positions(Path file, JsonNode c, String key) {
        return integer(file, c, key, MAX_POSITIONS);
    }

    static int vocab(Path file, JsonNode c, String key) {
        return integer(file, c, key, MAX_VOCAB);
    }

    private static int integer(Path file, JsonNode c, String key, int max) {
        JsonNode v = c.path(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new DataException(file, "missing or non-integer \"" + key + "\"");
        }
        if (v.asInt() > max) {
            throw new DataException(file, key + ": " + v.asInt() + " is more than " + max
                    + ", the most a checkpoint may declare");
        }
        return v.asInt();
    }

    /** An optional integer key (absent or null: {@code absent}), refused above {@code limit}. */
    static int optionalInt(Path file, JsonNode c, String key, int absent, int limit) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() > limit) {
            throw new DataException(file, key + ": " + v + " is not an integer of at most " + limit);
        }
        return v.asInt();
    }

    /** An optional positive number (absent or null: {@code absent}). */
    static double optionalPositive(Path file, JsonNode c, String key, double absent) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return absent;
        }
        if (!v.isNumber() || !(v.asDouble() > 0) || !Double.isFinite(v.asDouble())) {
            throw new DataException(file, key + ": " + v + " is not a positive number");
        }
        return v.asDouble();
    }

    /** An optional boolean (absent or null: {@code absent}). */
    static boolean optionalBoolean(Path file, JsonNode c, String key, boolean absent) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw new DataException(file, key + ": " + v + " is not true or false");
        }
        return v.asBoolean();
    }

    /**
     * {@code rope_scaling}: null (absent or null), or Llama 3's ({@code rope_type} or {@code type} {@code llama3}
     * with {@code factor}, {@code low_freq_factor}, {@code high_freq_factor}, {@code original_max_position_embeddings});
     * every other kind is refused by name.
     */
    static RopeScaling ropeScaling(Path file, JsonNode c) {
        JsonNode r = c.get("rope_scaling");
        if (r == null || r.isNull()) {
            return null;
        }
        String type = r.has("rope_type") ? r.path("rope_type").asText("") : r.path("type").asText("");
        if (type.equals("default")) {                 // transformers' name for no scaling
            return null;
        }
        if (!type.equals("llama3")) {
            throw new DataException(file, "rope_scaling " + r + " is not supported: only rope_type llama3 is computed here");
        }
        try {
            return new RopeScaling(optionalPositive(file, r, "factor", -1), optionalPositive(file, r, "low_freq_factor", -1),
                    optionalPositive(file, r, "high_freq_factor", -1),
                    optionalInt(file, r, "original_max_position_embeddings", -1, MAX_POSITIONS));
        } catch (IllegalArgumentException e) {
            throw new DataException(file, "rope_scaling " + r + ": " + e.getMessage());
        }
    }

    /** {@code rope_scaling} as config.json writes it (null for none). */
    static Map<String, Object> ropeScalingJson(RopeScaling s) {
        if (s == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rope_type", "llama3");
        m.put("factor", s.factor());
        m.put("low_freq_factor", s.lowFreqFactor());
        m.put("high_freq_factor", s.highFreqFactor());
        m.put("original_max_position_embeddings", s.originalContext());
        return m;
    }

    static int maxWidth() {
        return MAX_WIDTH;
    }

    static int maxHeads() {
        return MAX_HEADS;
    }

    /** The activation named by {@code key}, {@code absent} when the key is missing. */
    static Activation activation(Path file, JsonNode c, String key, String absent) {
        String name = c.path(key).asText(absent);
        Activation a = Activation.ofHfName(name);
        if (a == null) {
            throw new DataException(file, key + ": \"" + name + "\" is not one of "
                    + Arrays.stream(Activation.values()).map(Activation::hfName).toList());
        }
        return a;
    }

    /**
     * A normalisation epsilon; {@code absent} when missing. Values up to 1e-12 read as 0: this project's checkpoints
     * once wrote 1e-12 for its LayerNorm without epsilon.
     */
    static double epsilon(Path file, JsonNode c, String key, double absent) {
        JsonNode eps = c.path(key);
        if (eps.isMissingNode()) {
            return absent;
        }
        if (!eps.isNumber() || !(eps.asDouble() >= 0 && eps.asDouble() < 1)) {
            throw new DataException(file, key + ": " + eps + " is not a number in [0, 1)");
        }
        return eps.asDouble() <= 1e-12 ? 0.0 : eps.asDouble();
    }

    /** The enum constant {@code key} names (case-insensitive); {@code absent} when the key is missing. */
    static <E extends Enum<E>> E choice(Path file, JsonNode c, String key, E absent) {
        if (c.path(key).isMissingNode()) {
            return absent;
        }
        String text = c.path(key).asText("");
        for (E e : absent.getDeclaringClass().getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text)) {
                return e;
            }
        }
        throw new DataException(file, key + ": \"" + text + "\" is not one of "
                + Arrays.stream(absent.getDeclaringClass().getEnumConstants())
                        .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }

    /**
     * Refuses a setting that would make {@code transformers} compute something this model does not: the key's value
     * ({@code absent} when missing) must be {@code required}; {@code why} says what this model does instead.
     */
    static void require(Path file, JsonNode c, String key, Object absent, Object required, String why) {
        JsonNode v = c.path(key);
        Object actual = v.isMissingNode() || v.isNull() ? absent
                : v.isBoolean() ? (Object) v.asBoolean() : v.isNumber() ? (Object) v.asDouble() : v.asText();
        Object want = required instanceof Number n ? (Object) n.doubleValue() : required;
        Object have = actual instanceof Number n ? (Object) n.doubleValue() : actual;
        if (!want.equals(have)) {
            throw new DataException(file, key + " " + (v.isMissingNode() ? "absent (" + absent + ")" : v.toString())
                    + " is not supported: " + why);
        }
    }
}
