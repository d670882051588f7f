package rlhf4j.config;

import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds a raw tree (maps, lists, scalar text or Java values) onto config records, generically: each
 * record component is a key (camelCase -> snake_case); a missing key keeps the base record's value;
 * unknown keys, wrong types and failed validation become {@link ConfigException}s naming the dotted key
 * and, where known, the file and line it was written on.
 */
final class RecordBinder {
    private final Map<String, String> origins;
    private final String fallbackOrigin;

    /**
     * @param origins where each dotted key was written ("FILE:LINE" or "--set")
     * @param fallbackOrigin named in errors about keys with no origin of their own (the file), or null
     */
    RecordBinder(Map<String, String> origins, String fallbackOrigin) {
        this.origins = origins;
        this.fallbackOrigin = fallbackOrigin;
    }

    /** Binds {@code raw} (a map or null) over {@code base}; {@code path} is the section's dotted key ("" at the root). */
    <R> R bind(Class<R> type, Object raw, R base, String path) {
        if (raw == null) {
            return base;
        }
        if (!(raw instanceof Map<?, ?> map)) {
            throw keyError(path, "expected a section (a map of keys), got " + Values.show(raw));
        }
        List<String> known = Records.keys(type);
        for (Object key : map.keySet()) {
            if (!(key instanceof String name) || !known.contains(name)) {
                throw unknownKey(join(path, String.valueOf(key)), known);
            }
        }
        List<RecordComponent> components = Records.components(type);
        Object[] args = new Object[components.size()];
        for (int i = 0; i < args.length; i++) {
            RecordComponent component = components.get(i);
            String key = Records.key(component);
            Object baseValue = Records.get(component, base);
            if (Records.isInline(component)) {                   // its keys are this section's: bound from this map
                args[i] = bindSection(component.getType(), inlineKeys(map, component.getType()), baseValue, path);
                continue;
            }
            args[i] = map.containsKey(key)
                    ? value(map.get(key), component.getGenericType(), baseValue, join(path, key))
                    : baseValue;
        }
        try {
            return Records.construct(type, args);
        } catch (ConfigKeyException e) {
            ConfigKeyException qualified = e.under(path);
            throw qualified.at(where(qualified.key()));
        }
    }

    private Object value(Object raw, Type type, Object base, String key) {
        if (Records.isRecord(type)) {
            return bindSection((Class<?>) type, raw, base, key);
        }
        if (Records.isList(type)) {
            return list(raw, Records.elementType(type), key);
        }
        try {
            return Values.convert(raw, type);
        } catch (IllegalArgumentException e) {
            throw keyError(key, e.getMessage());
        }
    }

    /** The entries of {@code map} that are keys of the inline record {@code type}. */
    private static Map<Object, Object> inlineKeys(Map<?, ?> map, Class<?> type) {
        List<String> keys = Records.keys(type);
        Map<Object, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (keys.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    @SuppressWarnings("unchecked")
    private <R> R bindSection(Class<R> type, Object raw, Object base, String key) {
        return bind(type, raw, (R) base, key);
    }

    /** A YAML list; a single string is a comma-separated list; nothing is the empty list. */
    private List<Object> list(Object raw, Type elementType, String key) {
        if (!Values.isScalar(elementType)) {
            throw new IllegalStateException(key + ": lists of " + elementType.getTypeName() + " are not supported");
        }
        List<?> items;
        if (raw == null) {
            items = List.of();
        } else if (raw instanceof List<?> l) {
            items = l;
        } else if (raw instanceof String s) {
            items = s.isBlank() ? List.of() : splitCommas(s);
        } else if (raw instanceof Map<?, ?>) {
            throw keyError(key, "expected a list, got a section");
        } else {
            items = List.of(raw);
        }
        List<Object> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            try {
                out.add(Values.convert(items.get(i), elementType));
            } catch (IllegalArgumentException e) {
                throw keyError(key, "item " + (i + 1) + ": " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    private static List<String> splitCommas(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private ConfigException keyError(String key, String detail) {
        return new ConfigKeyException(key, "%s", detail).at(where(key));
    }

    private ConfigException unknownKey(String key, List<String> known) {
        String origin = where(key);
        return new ConfigException((origin == null ? "" : origin + ": ") + Names.unknownKey(key, known));
    }

    private String where(String key) {
        return origins.getOrDefault(key, fallbackOrigin);
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
