package rlhf4j.config;

import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies {@code --set dotted.key=value} overrides to a raw config tree before binding. Keys are checked
 * against the record structure here, so an unknown key is reported with the override that named it.
 * Values stay text and are typed by the binder; a list value is comma-separated text, or YAML flow
 * syntax when it starts with '[' ({@code [a, "b, c"]}).
 */
final class Overrides {
    /** The origin recorded for overridden keys. */
    static final String ORIGIN = "--set";

    private Overrides() {
    }

    /**
     * @param root a mutable tree of LinkedHashMaps (changed in place)
     * @param origins where each dotted key came from (updated for the overridden keys)
     */
    static void apply(Map<String, Object> root, Class<?> rootType, List<String> overrides, Map<String, String> origins) {
        for (String override : overrides) {
            int eq = override == null ? -1 : override.indexOf('=');
            if (eq <= 0 || override.substring(0, eq).isBlank()) {
                throw new ConfigException("invalid --set \"" + override + "\": expected dotted.key=value");
            }
            String key = override.substring(0, eq).trim();
            String text = override.substring(eq + 1);
            Type type = typeOf(rootType, key, override);
            Object value = text;
            if (Records.isList(type) && text.trim().startsWith("[")) {
                Object parsed = YamlTree.parse(text, ORIGIN + " " + key).root();
                if (!(parsed instanceof List<?>)) {
                    throw new ConfigException("invalid --set \"" + override + "\": expected a list like [a, b]");
                }
                value = parsed;
            }
            put(root, key.split("\\."), value);
            origins.put(key, ORIGIN);
        }
    }

    /** The generic type of the component a dotted key names; unknown keys and sections are errors. */
    private static Type typeOf(Class<?> rootType, String key, String override) {
        String[] parts = key.split("\\.", -1);
        Class<?> section = rootType;
        String path = "";
        for (int i = 0; i < parts.length; i++) {
            path = path.isEmpty() ? parts[i] : path + "." + parts[i];
            RecordComponent component = Records.find(section, parts[i]);
            if (component == null) {
                throw new ConfigException("--set " + override + ": " + Names.unknownKey(path, Records.keys(section)));
            }
            Type type = component.getGenericType();
            boolean last = i == parts.length - 1;
            if (last && Records.isRecord(type)) {
                String example = key + "." + Records.keys((Class<?>) type).get(0);
                throw new ConfigException("--set " + override + ": " + key + " is a section; set one of its keys, e.g. "
                        + example + "=...");
            }
            if (!last && !Records.isRecord(type)) {
                throw new ConfigException("--set " + override + ": " + path + " is " + Values.describe(type)
                        + ", not a section");
            }
            if (last) {
                return type;
            }
            section = (Class<?>) type;
        }
        throw new IllegalStateException("unreachable");
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, String[] parts, Object value) {
        Map<String, Object> node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            Object child = node.get(parts[i]);
            if (!(child instanceof Map<?, ?>)) {
                child = new LinkedHashMap<String, Object>();
                node.put(parts[i], child);
            }
            node = (Map<String, Object>) child;
        }
        node.put(parts[parts.length - 1], value);
    }
}
