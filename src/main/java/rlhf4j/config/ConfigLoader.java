package rlhf4j.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads an {@link ExperimentConfig}: YAML file, then {@code --set dotted.key=value} overrides, then
 * validation. Missing sections and keys take the records' defaults. Also converts a config back to
 * nested maps (JSON snapshots) and YAML.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /** Reads {@code yamlFile}, applies {@code overrides} in order and validates the result. */
    /** A config is a few kilobytes; a bound keeps a pathological file (a 10 MB comment line) from stalling the parser. */
    static final long MAX_CONFIG_BYTES = 1L << 20;

    public static ExperimentConfig load(Path yamlFile, List<String> overrides) {
        String source = yamlFile.toString();
        String text;
        try {
            if (Files.exists(yamlFile) && !Files.isRegularFile(yamlFile)) {   // a FIFO would block, /dev/zero never end
                throw new ConfigException(source + ": not a regular file (a folder, pipe or device is not a config)");
            }
            if (Files.isRegularFile(yamlFile) && Files.size(yamlFile) > MAX_CONFIG_BYTES) {
                throw new ConfigException(source + ": " + Files.size(yamlFile) / 1024 + " kB is more than the "
                        + MAX_CONFIG_BYTES / 1024 + " kB a config file may have");
            }
            text = Files.readString(yamlFile);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + source, e);
        } catch (MalformedInputException e) {
            throw new ConfigException(source + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + source + ": " + e.getMessage(), e);
        }
        return parse(text, source, overrides);
    }

    public static ExperimentConfig load(Path yamlFile) {
        return load(yamlFile, List.of());
    }

    /** Parses YAML text; {@code source} names it in error messages. */
    public static ExperimentConfig parse(String yamlText, String source, List<String> overrides) {
        YamlTree.Parsed parsed = YamlTree.parse(yamlText, source);
        return bind(parsed.root(), new HashMap<>(parsed.origins()), source, overrides, defaults());
    }

    /** Binds nested maps with snake_case keys (as from {@link #toMap} or a JSON snapshot). */
    public static ExperimentConfig fromMap(Map<String, ?> map) {
        return fromMap(map, List.of());
    }

    public static ExperimentConfig fromMap(Map<String, ?> map, List<String> overrides) {
        return bind(map, new HashMap<>(), null, overrides, defaults());
    }

    /** {@code base} with {@code overrides} applied (keys not overridden keep base's values). */
    public static ExperimentConfig withOverrides(ExperimentConfig base, List<String> overrides) {
        return bind(null, new HashMap<>(), null, overrides, base);
    }

    public static ExperimentConfig defaults() {
        return ExperimentConfig.defaults();
    }

    /** Nested LinkedHashMaps with snake_case keys, in record order; {@code fromMap(toMap(c)).equals(c)}. */
    public static Map<String, Object> toMap(ExperimentConfig config) {
        return Records.toMap(config);
    }

    /** The config as a YAML document that {@link #parse} reads back to an equal config. */
    public static String toYaml(ExperimentConfig config) {
        return YamlTree.dump(toMap(config));
    }

    private static ExperimentConfig bind(Object root, Map<String, String> origins, String source,
            List<String> overrides, ExperimentConfig base) {
        if (root != null && !(root instanceof Map<?, ?>)) {
            throw new ConfigException((source == null ? "" : source + ": ")
                    + "expected a map of sections (run, model, ...), got " + Values.show(root));
        }
        Map<String, Object> tree = copy(root == null ? Map.of() : (Map<?, ?>) root);
        Overrides.apply(tree, ExperimentConfig.class, overrides, origins);
        return new RecordBinder(origins, source).bind(ExperimentConfig.class, tree, base, "");
    }

    /** A mutable deep copy of the maps (lists and scalars are shared; the binder only reads them). */
    private static Map<String, Object> copy(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Object value = e.getValue() instanceof Map<?, ?> m ? copy(m) : e.getValue();
            if (value instanceof List<?> list) {
                value = new ArrayList<>(list);
            }
            out.put(String.valueOf(e.getKey()), value);
        }
        return out;
    }
}
