package rlhf4j.tokenizer.jinja;

import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Template values with the meanings Python gives them, since chat templates are written for Python's Jinja:
 * None is Java null; ints are Long, floats Double, booleans Boolean; lists are {@link List}, tuples {@link Tuple};
 * dicts are insertion-ordered {@link Map}s; a missing variable or attribute is an {@link Undefined}. Here are
 * Python's {@code str}, {@code repr}, truth, equality, ordering and {@code json.dumps} over them.
 */
final class Py {
    private Py() {
    }

    /** Jinja's default Undefined: prints as nothing, is false, iterates as empty, fails on anything else. */
    record Undefined(String name) {
    }

    /** A tuple: a list that prints and compares as Python's tuple. */
    static final class Tuple extends AbstractList<Object> {
        private final List<Object> items;

        Tuple(List<Object> items) {
            this.items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        @Override
        public Object get(int index) {
            return items.get(index);
        }

        @Override
        public int size() {
            return items.size();
        }
    }

    /** Jinja's {@code namespace()}: an object whose attributes {@code set ns.x = ...} may change from any scope. */
    static final class Namespace {
        final Map<String, Object> attributes = new LinkedHashMap<>();
    }

    /** Something a template can call: a global function, a macro, a bound method. */
    interface Callable {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    static boolean isNumber(Object o) {
        return o instanceof Long || o instanceof Double || o instanceof Boolean;
    }

    static boolean truthy(Object o) {
        if (o == null || o instanceof Undefined) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (o instanceof Long l) {
            return l != 0;
        }
        if (o instanceof Double d) {
            return d != 0;
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** Python's str(). */
    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Undefined) {
            return "";
        }
        return repr(o);
    }

    /** Python's repr(). */
    static String repr(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (o instanceof Long l) {
            return l.toString();
        }
        if (o instanceof Double d) {
            return floatRepr(d);
        }
        if (o instanceof String s) {
            return stringRepr(s);
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        if (o instanceof Tuple t) {
            List<String> parts = t.stream().map(Py::repr).toList();
            return "(" + String.join(", ", parts) + (parts.size() == 1 ? ",)" : ")");
        }
        if (o instanceof List<?> l) {
            return "[" + String.join(", ", l.stream().map(Py::repr).toList()) + "]";
        }
        if (o instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, v) -> parts.add(repr(k) + ": " + repr(v)));
            return "{" + String.join(", ", parts) + "}";
        }
        if (o instanceof Namespace n) {
            return "<Namespace " + repr(n.attributes) + ">";
        }
        return "<" + o.getClass().getSimpleName() + ">";
    }

    /** Python's float repr: the shortest digits, positional from 1e-4 up to 1e16, exponent form outside. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        String sign = (d < 0 || (d == 0 && 1 / d < 0)) ? "-" : "";
        if (d == 0) {
            return sign + "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exponent = digits.length() - 1 - bd.scale();
        if (exponent >= -4 && exponent < 16) {
            String plain = bd.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
        String e = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + e;
    }

    /** Python's repr of a str: single quotes unless the text has one and no double quote. */
    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder().append(quote);
        s.codePoints().forEach(c -> {
            if (c == quote || c == '\\') {
                out.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || c == 0x7F) {
                out.append(String.format("\\x%02x", c));
            } else if (!isPrintable(c)) {
                out.append(c <= 0xFF ? String.format("\\x%02x", c)
                        : c <= 0xFFFF ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append(quote).toString();
    }

    /** Python's str.isprintable() for one character: not a control, format, separator (but space) or unassigned. */
    private static boolean isPrintable(int c) {
        if (c == ' ') {
            return true;
        }
        int type = Character.getType(c);
        return !(type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED || type == Character.SPACE_SEPARATOR
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR);
    }

    /** Python's ==. */
    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            return (a instanceof Double || b instanceof Double) ? toDouble(a) == toDouble(b) : toLong(a) == toLong(b);
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!eq(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering of two values (numbers, strings by code point, sequences), or an error. */
    static int compare(Object a, Object b, int line) {
        if (isNumber(a) && isNumber(b)) {
            return (a instanceof Double || b instanceof Double) ? Double.compare(toDouble(a), toDouble(b))
                    : Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String x && b instanceof String y) {
            Iterator<Integer> i = x.codePoints().iterator();
            Iterator<Integer> j = y.codePoints().iterator();
            while (i.hasNext() && j.hasNext()) {
                int c = Integer.compare(i.next(), j.next());
                if (c != 0) {
                    return c;
                }
            }
            return Boolean.compare(i.hasNext(), j.hasNext());
        }
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int k = 0; k < Math.min(x.size(), y.size()); k++) {
                if (!eq(x.get(k), y.get(k))) {
                    return compare(x.get(k), y.get(k), line);
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new TemplateError(line, "cannot compare " + typeName(a) + " and " + typeName(b));
    }

    static long toLong(Object o) {
        return o instanceof Boolean b ? (b ? 1 : 0) : ((Number) o).longValue();
    }

    static double toDouble(Object o) {
        return o instanceof Boolean b ? (b ? 1 : 0) : ((Number) o).doubleValue();
    }

    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof Undefined u) {
            return "undefined '" + u.name() + "'";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof Long) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Map) {
            return "dict";
        }
        return o.getClass().getSimpleName();
    }

    /** A value given to a template (maps, lists, strings, numbers) in the types above. */
    static Object fromJava(Object o) {
        if (o instanceof Integer i) {
            return i.longValue();
        }
        if (o instanceof Float f) {
            return f.doubleValue();
        }
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(fromJava(k), fromJava(v)));
            return out;
        }
        if (o instanceof List<?> l && !(o instanceof Tuple)) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(fromJava(v)));
            return out;
        }
        return o;
    }

    /**
     * {@code json.dumps(value, ensure_ascii, indent, separators, sort_keys)} as Hugging Face's {@code tojson}
     * filter calls it (not Jinja's HTML-safe one).
     */
    static String json(Object value, boolean ensureAscii, Integer indent, String itemSep, String keySep,
            boolean sortKeys, int line) {
        StringBuilder out = new StringBuilder();
        String items = itemSep != null ? itemSep : indent == null ? ", " : ",";
        String keys = keySep != null ? keySep : ": ";
        json(out, value, ensureAscii, indent, items, keys, sortKeys, 0, line);
        return out.toString();
    }

    private static void json(StringBuilder out, Object v, boolean ascii, Integer indent, String items, String keys,
            boolean sort, int depth, int line) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            out.append(l);
        } else if (v instanceof Double d) {
            out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
        } else if (v instanceof String s) {
            jsonString(out, s, ascii);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                out.append(i == 0 ? "" : items);
                newline(out, indent, depth + 1);
                json(out, l.get(i), ascii, indent, items, keys, sort, depth + 1, line);
            }
            newline(out, indent, depth);
            out.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            Map<String, Object> entries = sort ? new TreeMap<>() : new LinkedHashMap<>();
            m.forEach((k, x) -> entries.put(jsonKey(k, line), x));
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : entries.entrySet()) {
                out.append(first ? "" : items);
                first = false;
                newline(out, indent, depth + 1);
                jsonString(out, e.getKey(), ascii);
                out.append(keys);
                json(out, e.getValue(), ascii, indent, items, keys, sort, depth + 1, line);
            }
            newline(out, indent, depth);
            out.append('}');
        } else if (v instanceof Namespace) {
            throw new TemplateError(line, "Object of type Namespace is not JSON serializable");
        } else {
            throw new TemplateError(line, "Object of type " + typeName(v) + " is not JSON serializable");
        }
    }

    private static String jsonKey(Object k, int line) {
        if (k instanceof String s) {
            return s;
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Long || k instanceof Double) {
            return k instanceof Double d ? floatRepr(d) : k.toString();
        }
        throw new TemplateError(line, "keys must be str, int, float, bool or None, not " + typeName(k));
    }

    private static void newline(StringBuilder out, Integer indent, int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void jsonString(StringBuilder out, String s, boolean ascii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7F)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    static boolean sameObject(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) {
            return Objects.equals(a, b);
        }
        return a == b;
    }
}
