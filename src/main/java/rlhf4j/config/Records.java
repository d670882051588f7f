package rlhf4j.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reflection over config records: their keys, values, construction, and conversion to nested maps. */
final class Records {
    private Records() {
    }

    static List<RecordComponent> components(Class<?> type) {
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record");
        }
        return List.of(type.getRecordComponents());
    }

    /** The YAML key of a component. */
    static String key(RecordComponent component) {
        return Names.toSnake(component.getName());
    }

    /** Whether a component's keys sit in the enclosing section ({@link Inline}). */
    static boolean isInline(RecordComponent component) {
        return component.isAnnotationPresent(Inline.class);
    }

    /** The section's keys: each component's, an {@link Inline} component's own keys in its place. */
    static List<String> keys(Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent c : components(type)) {
            if (isInline(c)) {
                keys.addAll(keys(c.getType()));
            } else {
                keys.add(key(c));
            }
        }
        return keys;
    }

    /** The component of {@code type} (or of one of its {@link Inline} components) whose YAML key is {@code key}, or null. */
    static RecordComponent find(Class<?> type, String key) {
        for (RecordComponent c : components(type)) {
            RecordComponent found = isInline(c) ? find(c.getType(), key) : key(c).equals(key) ? c : null;
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    static Object get(RecordComponent component, Object record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component, e);
        }
    }

    /** Calls the canonical constructor; a validation failure comes out as the constructor's own exception. */
    static <R> R construct(Class<R> type, Object[] args) {
        Class<?>[] types = components(type).stream().map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            return type.getDeclaredConstructor(types).newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    static boolean isRecord(Type type) {
        return type instanceof Class<?> c && c.isRecord();
    }

    static boolean isList(Type type) {
        return type instanceof ParameterizedType p && p.getRawType() == List.class;
    }

    static Type elementType(Type listType) {
        return ((ParameterizedType) listType).getActualTypeArguments()[0];
    }

    /** The record as nested maps with snake_case keys, lists as lists, enums as lower-case names. */
    static Map<String, Object> toMap(Object record) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (RecordComponent c : components(record.getClass())) {
            if (isInline(c)) {
                map.putAll(toMap(get(c, record)));
            } else {
                map.put(key(c), plain(get(c, record)));
            }
        }
        return map;
    }

    private static Object plain(Object value) {
        if (value != null && value.getClass().isRecord()) {
            return toMap(value);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object element : list) {
                out.add(plain(element));
            }
            return out;
        }
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        return value;
    }
}
