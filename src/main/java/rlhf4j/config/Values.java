package rlhf4j.config;

import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Converts one raw value (a YAML scalar's text, an override's text, or a Java value from a map) to a
 * record component's scalar type. Failures are IllegalArgumentExceptions whose message is the detail
 * ("expected an integer, got \"abc\""); the binder adds the key.
 */
final class Values {
    private static final Pattern INTEGER = Pattern.compile("[-+]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");
    private static final Pattern DIGIT_UNDERSCORE = Pattern.compile("(?<=\\d)_(?=\\d)");

    private Values() {
    }

    /** Boxed list-element types behave like their primitives. */
    static Type unbox(Type type) {
        if (type == Integer.class) {
            return int.class;
        }
        if (type == Long.class) {
            return long.class;
        }
        if (type == Double.class) {
            return double.class;
        }
        return type == Boolean.class ? boolean.class : type;
    }

    static boolean isScalar(Type boxed) {
        Type type = unbox(boxed);
        return type == int.class || type == long.class || type == double.class || type == boolean.class
                || type == String.class || (type instanceof Class<?> c && c.isEnum());
    }

    static Object convert(Object raw, Type boxed) {
        Type type = unbox(boxed);
        if (type == int.class) {
            return (int) toLong(raw, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        if (type == long.class) {
            return toLong(raw, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        if (type == double.class) {
            return toDouble(raw);
        }
        if (type == boolean.class) {
            return toBoolean(raw);
        }
        if (type == String.class) {
            return toText(raw);
        }
        if (type instanceof Class<?> c && c.isEnum()) {
            return toEnum(raw, c);
        }
        throw new IllegalStateException("unsupported config type " + type.getTypeName());
    }

    /** What a value of this type looks like, for messages and the reference table. */
    static String describe(Type boxed) {
        Type type = unbox(boxed);
        if (type == int.class || type == long.class) {
            return "an integer";
        }
        if (type == double.class) {
            return "a number";
        }
        if (type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type instanceof Class<?> c && c.isEnum()) {
            return "one of " + String.join(", ", enumNames(c));
        }
        if (Records.isList(type)) {
            return "a list";
        }
        return "a section";
    }

    /** A raw value as shown in an error message. */
    static String show(Object raw) {
        if (raw == null) {
            return "nothing";
        }
        if (raw instanceof Map<?, ?>) {
            return "a section";
        }
        if (raw instanceof List<?>) {
            return "a list";
        }
        if (raw instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
        }
        return String.valueOf(raw);
    }

    /** A value as a user would write it: 0.003, 1e-8, [a, b]; doubles never in Java's 1.0E-8 form. */
    static String format(Object value) {
        if (value instanceof Double d && Double.isFinite(d)) {
            double abs = Math.abs(d);
            if (abs != 0 && (abs < 1e-3 || abs >= 1e7)) {
                String[] parts = String.format(Locale.ROOT, "%.6e", d).split("e");
                return new BigDecimal(parts[0]).stripTrailingZeros().toPlainString() + "e" + Integer.parseInt(parts[1]);
            }
            String plain = new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        if (value instanceof List<?> list) {
            return list.stream().map(Values::format).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(value);
    }

    private static long toLong(Object raw, long min, long max) {
        BigDecimal value = null;
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
            value = BigDecimal.valueOf(((Number) raw).longValue());
        } else if (raw instanceof BigInteger b) {
            value = new BigDecimal(b);
        } else if (raw instanceof BigDecimal b) {
            value = b;
        } else if (raw instanceof Double || raw instanceof Float) {
            double d = ((Number) raw).doubleValue();
            value = Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
        } else if (raw instanceof String s) {
            String text = DIGIT_UNDERSCORE.matcher(s.trim()).replaceAll("");
            if (INTEGER.matcher(text).matches() || DECIMAL.matcher(text).matches()) {
                value = new BigDecimal(text.startsWith("+") ? text.substring(1) : text);
            }
        }
        if (value == null || value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("expected an integer, got " + show(raw));
        }
        if (value.compareTo(BigDecimal.valueOf(min)) < 0 || value.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new IllegalArgumentException(show(raw) + " is out of range [" + min + ", " + max + "]");
        }
        return value.longValueExact();
    }

    private static double toDouble(Object raw) {
        double value;
        if (raw instanceof Number n) {
            value = n.doubleValue();
        } else if (raw instanceof String s && DECIMAL.matcher(DIGIT_UNDERSCORE.matcher(s.trim()).replaceAll("")).matches()) {
            value = Double.parseDouble(DIGIT_UNDERSCORE.matcher(s.trim()).replaceAll(""));
        } else {
            throw new IllegalArgumentException("expected a number, got " + show(raw));
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("expected a finite number, got " + show(raw));
        }
        return value;
    }

    private static boolean toBoolean(Object raw) {
        if (raw instanceof Boolean b) {
            return b;
        }
        if (raw instanceof String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> {
                    return true;
                }
                case "false", "no", "off" -> {
                    return false;
                }
                default -> {
                }
            }
        }
        throw new IllegalArgumentException("expected true or false, got " + show(raw));
    }

    private static String toText(Object raw) {
        if (raw instanceof String s) {
            return s;
        }
        if (raw instanceof Number || raw instanceof Boolean) {
            return String.valueOf(raw);
        }
        throw new IllegalArgumentException("expected a string, got " + show(raw));
    }

    private static Object toEnum(Object raw, Class<?> type) {
        if (raw instanceof String s) {
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equalsIgnoreCase(s.trim())) {
                    return constant;
                }
            }
        }
        throw new IllegalArgumentException("expected one of " + String.join(", ", enumNames(type)) + ", got " + show(raw));
    }

    private static List<String> enumNames(Class<?> type) {
        return Arrays.stream(type.getEnumConstants()).map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT)).toList();
    }
}
