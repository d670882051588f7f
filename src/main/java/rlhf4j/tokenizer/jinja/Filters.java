package rlhf4j.tokenizer.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import rlhf4j.tokenizer.jinja.Py.Callable;
import rlhf4j.tokenizer.jinja.Py.Tuple;
import rlhf4j.tokenizer.jinja.Py.Undefined;

/**
 * Jinja's filters ({@code x|trim}) and tests ({@code x is defined}) that chat templates use, with Jinja2's
 * results, and {@code tojson} as transformers replaces it ({@code json.dumps} without HTML escaping). An unknown
 * filter or test is an error, as it is in Jinja.
 */
final class Filters {
    private Filters() {
    }

    static Object apply(Interpreter in, String name, Object v, List<Object> args, Map<String, Object> kw, int line) {
        try {
            return filter(in, name, v, args, kw, line);
        } catch (TemplateError e) {
            throw e.getMessage().startsWith("line ") ? e : new TemplateError(line, e.getMessage());
        }
    }

    private static Object filter(Interpreter in, String name, Object v, List<Object> args, Map<String, Object> kw,
            int line) {
        switch (name) {
            case "trim" -> {
                Object chars = arg(args, kw, 0, "chars", null);
                return Methods.strip(Py.str(v), chars == null ? null : Py.str(chars), true, true);
            }
            case "length", "count" -> {
                return length(v, line);
            }
            case "tojson" -> {
                Object indent = arg(args, kw, 1, "indent", null);
                Object separators = arg(args, kw, 2, "separators", null);
                String itemSep = null;
                String keySep = null;
                if (separators instanceof List<?> seps && seps.size() == 2) {
                    itemSep = Py.str(seps.get(0));
                    keySep = Py.str(seps.get(1));
                } else if (separators != null) {
                    throw new TemplateError(line, "tojson separators must be a pair of strings");
                }
                if (indent != null && !(indent instanceof Long)) {
                    throw new TemplateError(line, "tojson indent must be an integer");
                }
                return Py.json(v, Py.truthy(arg(args, kw, 0, "ensure_ascii", false)),
                        indent == null ? null : (int) (long) (Long) indent, itemSep, keySep,
                        Py.truthy(arg(args, kw, 3, "sort_keys", false)), line);
            }
            case "upper", "lower", "title", "capitalize" -> {
                return Methods.string(Py.str(v), name, List.of());
            }
            case "first", "last" -> {
                List<Object> items = Interpreter.iterate(v, line);
                if (items.isEmpty()) {
                    return new Undefined("No " + name + " item, sequence was empty.");
                }
                return items.get(name.equals("first") ? 0 : items.size() - 1);
            }
            case "join" -> {
                String sep = Py.str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<String> parts = new ArrayList<>();
                for (Object item : Interpreter.iterate(v, line)) {
                    parts.add(Py.str(attribute == null ? item : attribute(in, item, attribute, line)));
                }
                return String.join(sep, parts);
            }
            case "default", "d" -> {
                Object fallback = arg(args, kw, 0, "default_value", "");
                boolean onFalse = Py.truthy(arg(args, kw, 1, "boolean", false));
                return v instanceof Undefined || (onFalse && !Py.truthy(v)) ? fallback : v;
            }
            case "list" -> {
                return Interpreter.iterate(v, line);
            }
            case "string" -> {
                return Py.str(v);
            }
            case "safe" -> {
                return v; // autoescape is off in transformers: marking text safe changes nothing
            }
            case "int" -> {
                return toInt(v, arg(args, kw, 0, "default", 0L));
            }
            case "float" -> {
                return toFloat(v, arg(args, kw, 0, "default", 0.0));
            }
            case "abs" -> {
                if (!Py.isNumber(v)) {
                    throw new TemplateError(line, "bad operand type for abs(): '" + Py.typeName(v) + "'");
                }
                return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v));
            }
            case "replace" -> {
                Object count = arg(args, kw, 2, "count", null);
                return Methods.replace(Py.str(v), Py.str(arg(args, kw, 0, "old", "")), Py.str(arg(args, kw, 1, "new", "")),
                        count == null ? -1 : Py.toLong(count));
            }
            case "items" -> {
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new TemplateError(line, "can only get item pairs from a mapping");
                }
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(new Tuple(java.util.Arrays.asList(k, x))));
                return out;
            }
            case "selectattr", "rejectattr" -> {
                if (args.isEmpty()) {
                    throw new TemplateError(line, name + " needs an attribute name");
                }
                boolean keep = name.equals("selectattr");
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v, line)) {
                    Object value = attribute(in, item, args.get(0), line);
                    boolean passes = args.size() == 1 ? Py.truthy(value)
                            : test(Py.str(args.get(1)), value, args.subList(2, args.size()), line);
                    if (passes == keep) {
                        out.add(item);
                    }
                }
                return out;
            }
            case "select", "reject" -> {
                boolean keep = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v, line)) {
                    boolean passes = args.isEmpty() ? Py.truthy(item)
                            : test(Py.str(args.get(0)), item, args.subList(1, args.size()), line);
                    if (passes == keep) {
                        out.add(item);
                    }
                }
                return out;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v, line)) {
                    if (kw.containsKey("attribute")) {
                        Object value = attribute(in, item, kw.get("attribute"), line);
                        out.add(value instanceof Undefined && kw.containsKey("default") ? kw.get("default") : value);
                    } else if (!args.isEmpty()) {
                        out.add(apply(in, Py.str(args.get(0)), item, args.subList(1, args.size()), Map.of(), line));
                    } else {
                        throw new TemplateError(line, "map needs a filter name or attribute=");
                    }
                }
                return out;
            }
            case "reverse" -> {
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> items = Interpreter.iterate(v, line);
                Collections.reverse(items);
                return items;
            }
            case "indent" -> {
                return indent(Py.str(v), arg(args, kw, 0, "width", 4L), Py.truthy(arg(args, kw, 1, "first", false)),
                        Py.truthy(arg(args, kw, 2, "blank", false)));
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v, line)) {
                    if (out.stream().noneMatch(x -> Py.eq(x, item))) {
                        out.add(item);
                    }
                }
                return out;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) {
                    throw new TemplateError(line, "dictsort needs a mapping");
                }
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(new Tuple(java.util.Arrays.asList(k, x))));
                out.sort((a, b) -> Py.compare(caseless(((List<?>) a).get(0)), caseless(((List<?>) b).get(0)), line));
                return out;
            }
            default -> throw new TemplateError(line, "the filter '" + name + "' is not supported");
        }
    }

    private static Object caseless(Object o) {
        return o instanceof String s ? s.toLowerCase(java.util.Locale.ROOT) : o;
    }

    /** An argument given by position or by keyword, or its default. */
    private static Object arg(List<Object> args, Map<String, Object> kw, int position, String keyword, Object fallback) {
        if (position < args.size()) {
            return args.get(position);
        }
        return kw.getOrDefault(keyword, fallback);
    }

    /** Jinja's attribute lookup for filters: "a.b" walks items, an integer indexes. */
    private static Object attribute(Interpreter in, Object item, Object attribute, int line) {
        if (attribute instanceof Long) {
            return in.getitem(item, attribute, line);
        }
        Object value = item;
        for (String part : Py.str(attribute).split("\\.")) {
            Object key = part.matches("\\d+") ? (Object) Long.parseLong(part) : part;
            value = in.getitem(value, key, line);
        }
        return value;
    }

    private static long length(Object v, int line) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        throw new TemplateError(line, "object of type '" + Py.typeName(v) + "' has no len()");
    }

    private static Object toInt(Object v, Object fallback) {
        if (v instanceof Boolean || v instanceof Long) {
            return Py.toLong(v);
        }
        if (v instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? fallback : (Object) (long) (double) d;
        }
        if (v instanceof String s) {
            String t = s.strip().replace("_", "");
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(t);
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Py.isNumber(v)) {
            return Py.toDouble(v);
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** Jinja 3's indent: the first line and blank lines stay as they are unless asked. */
    private static String indent(String s, Object width, boolean first, boolean blank) {
        String indention = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
        List<String> lines = splitLines(s + "\n");
        String rv;
        if (blank) {
            rv = String.join("\n" + indention, lines);
        } else {
            StringBuilder b = new StringBuilder(lines.get(0));
            if (lines.size() > 1) {
                b.append('\n');
                List<String> rest = new ArrayList<>();
                for (String l : lines.subList(1, lines.size())) {
                    rest.add(l.isEmpty() ? l : indention + l);
                }
                b.append(String.join("\n", rest));
            }
            rv = b.toString();
        }
        return first ? indention + rv : rv;
    }

    /** Python's str.splitlines() for \n, \r\n and \r (the line breaks a rendered template holds). */
    private static List<String> splitLines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u000B' || c == '\u000C' || c == '\u001C' || c == '\u001D'
                    || c == '\u001E' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    static boolean test(String name, Object v, List<Object> args, int line) {
        switch (name) {
            case "defined" -> {
                return !(v instanceof Undefined);
            }
            case "undefined" -> {
                return v instanceof Undefined;
            }
            case "none" -> {
                return v == null;
            }
            case "true" -> {
                return Boolean.TRUE.equals(v);
            }
            case "false" -> {
                return Boolean.FALSE.equals(v);
            }
            case "boolean" -> {
                return v instanceof Boolean;
            }
            case "integer" -> {
                return v instanceof Long;
            }
            case "float" -> {
                return v instanceof Double;
            }
            case "number" -> {
                return Py.isNumber(v);
            }
            case "string" -> {
                return v instanceof String;
            }
            case "mapping" -> {
                return v instanceof Map;
            }
            case "iterable" -> {
                return v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
            }
            case "sequence" -> {
                return v instanceof List || v instanceof Map || v instanceof String;
            }
            case "callable" -> {
                return v instanceof Callable;
            }
            case "sameas" -> {
                return Py.sameObject(v, one(name, args, line));
            }
            case "eq", "equalto", "==" -> {
                return Py.eq(v, one(name, args, line));
            }
            case "ne", "!=" -> {
                return !Py.eq(v, one(name, args, line));
            }
            case "lt", "<", "lessthan" -> {
                return Py.compare(v, one(name, args, line), line) < 0;
            }
            case "le", "<=" -> {
                return Py.compare(v, one(name, args, line), line) <= 0;
            }
            case "gt", ">", "greaterthan" -> {
                return Py.compare(v, one(name, args, line), line) > 0;
            }
            case "ge", ">=" -> {
                return Py.compare(v, one(name, args, line), line) >= 0;
            }
            case "in" -> {
                return Interpreter.contains(one(name, args, line), v, line);
            }
            case "odd", "even", "divisibleby" -> {
                if (!(v instanceof Long || v instanceof Boolean)) {
                    throw new TemplateError(line, "the test '" + name + "' needs an integer, not " + Py.typeName(v));
                }
                long n = Py.toLong(v);
                return switch (name) {
                    case "odd" -> Math.floorMod(n, 2) == 1;
                    case "even" -> Math.floorMod(n, 2) == 0;
                    default -> Math.floorMod(n, Py.toLong(one(name, args, line))) == 0;
                };
            }
            case "lower" -> {
                return Py.str(v).equals(Py.str(v).toLowerCase(java.util.Locale.ROOT));
            }
            case "upper" -> {
                return Py.str(v).equals(Py.str(v).toUpperCase(java.util.Locale.ROOT));
            }
            default -> throw new TemplateError(line, "the test '" + name + "' is not supported");
        }
    }

    private static Object one(String test, List<Object> args, int line) {
        if (args.size() != 1) {
            throw new TemplateError(line, "the test '" + test + "' takes one argument");
        }
        return args.get(0);
    }

}
