package rlhf4j.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.tokenizer.jinja.Py.Callable;
import rlhf4j.tokenizer.jinja.Py.Tuple;

/**
 * The Python methods of str, dict and list that templates call ({@code message.content.strip()},
 * {@code message.items()}, {@code content.startswith('<think>')}), with Python's results. Methods that change a
 * list or dict are refused, as transformers' immutable sandbox refuses them.
 */
final class Methods {
    private static final Set<String> STRING = Set.of("strip", "lstrip", "rstrip", "split", "upper", "lower", "title",
            "capitalize", "startswith", "endswith", "replace", "find", "count", "join", "isdigit", "isalpha",
            "isspace", "islower", "isupper");
    private static final Set<String> DICT = Set.of("items", "keys", "values", "get");
    private static final Set<String> MUTATING = Set.of("append", "extend", "insert", "pop", "remove", "clear",
            "update", "setdefault", "popitem", "sort", "reverse");

    private Methods() {
    }

    /** The bound method obj.name, or null when obj has no such method here. */
    static Object bind(Interpreter interpreter, Object obj, String name) {
        if (obj instanceof String s && STRING.contains(name)) {
            return (Callable) (args, kwargs) -> string(s, name, args);
        }
        if (obj instanceof Map<?, ?> m && DICT.contains(name)) {
            return (Callable) (args, kwargs) -> dict(m, name, args);
        }
        if ((obj instanceof List<?> || obj instanceof Map<?, ?>) && MUTATING.contains(name)) {
            return (Callable) (args, kwargs) -> {
                throw new TemplateError("access to attribute '" + name + "' of '" + Py.typeName(obj)
                        + "' object is unsafe (templates may not change their inputs)");
            };
        }
        if (obj instanceof List<?> l && (name.equals("index") || name.equals("count"))) {
            return (Callable) (args, kwargs) -> {
                arity(name, args, 1, 1);
                if (name.equals("count")) {
                    return l.stream().filter(x -> Py.eq(x, args.get(0))).count();
                }
                for (int i = 0; i < l.size(); i++) {
                    if (Py.eq(l.get(i), args.get(0))) {
                        return (long) i;
                    }
                }
                throw new TemplateError(Py.repr(args.get(0)) + " is not in list");
            };
        }
        return null;
    }

    private static Object dict(Map<?, ?> m, String name, List<Object> args) {
        switch (name) {
            case "items" -> {
                arity(name, args, 0, 0);
                List<Object> items = new ArrayList<>();
                m.forEach((k, v) -> items.add(new Tuple(java.util.Arrays.asList(k, v))));
                return items;
            }
            case "keys" -> {
                arity(name, args, 0, 0);
                return new ArrayList<Object>(m.keySet());
            }
            case "values" -> {
                arity(name, args, 0, 0);
                return new ArrayList<Object>(m.values());
            }
            default -> { // get
                arity(name, args, 1, 2);
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (Py.eq(e.getKey(), args.get(0))) {
                        return e.getValue();
                    }
                }
                return args.size() > 1 ? args.get(1) : null;
            }
        }
    }

    static Object string(String s, String name, List<Object> args) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                arity(name, args, 0, 1);
                String chars = args.isEmpty() || args.get(0) == null ? null : requireString(args.get(0), name);
                return strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split" -> {
                arity(name, args, 0, 2);
                String sep = args.isEmpty() || args.get(0) == null ? null : requireString(args.get(0), name);
                long max = args.size() > 1 ? Py.toLong(args.get(1)) : -1;
                return split(s, sep, max);
            }
            case "upper" -> {
                return s.toUpperCase(java.util.Locale.ROOT);
            }
            case "lower" -> {
                return s.toLowerCase(java.util.Locale.ROOT);
            }
            case "title" -> {
                return title(s);
            }
            case "capitalize" -> {
                if (s.isEmpty()) {
                    return s;
                }
                int first = s.codePointAt(0);
                return new String(Character.toChars(Character.toTitleCase(first)))
                        + s.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT);
            }
            case "startswith", "endswith" -> {
                arity(name, args, 1, 1);
                List<Object> options = args.get(0) instanceof Tuple t ? t : List.of(args.get(0));
                for (Object o : options) {
                    String affix = requireString(o, name);
                    if (name.equals("startswith") ? s.startsWith(affix) : s.endsWith(affix)) {
                        return true;
                    }
                }
                return false;
            }
            case "replace" -> {
                arity(name, args, 2, 3);
                return replace(s, requireString(args.get(0), name), requireString(args.get(1), name),
                        args.size() > 2 ? Py.toLong(args.get(2)) : -1);
            }
            case "find" -> {
                arity(name, args, 1, 1);
                int i = s.indexOf(requireString(args.get(0), name));
                return i < 0 ? -1L : (long) s.codePointCount(0, i);
            }
            case "count" -> {
                arity(name, args, 1, 1);
                String sub = requireString(args.get(0), name);
                if (sub.isEmpty()) {
                    return (long) s.codePointCount(0, s.length()) + 1;
                }
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                    n++;
                }
                return n;
            }
            case "join" -> {
                arity(name, args, 1, 1);
                List<String> parts = new ArrayList<>();
                for (Object o : Interpreter.iterate(args.get(0), 0)) {
                    parts.add(requireString(o, name));
                }
                return String.join(s, parts);
            }
            default -> { // isdigit, isalpha, isspace, islower, isupper
                if (s.isEmpty()) {
                    return false;
                }
                return switch (name) {
                    case "isdigit" -> s.codePoints().allMatch(Character::isDigit);
                    case "isalpha" -> s.codePoints().allMatch(Character::isLetter);
                    case "isspace" -> s.codePoints().allMatch(Lexer::isSpace);
                    case "islower" -> s.codePoints().anyMatch(Character::isLowerCase)
                            && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
                    default -> s.codePoints().anyMatch(Character::isUpperCase)
                            && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
                };
            }
        }
    }

    /** Python's strip family: white space (str.isspace) or the given characters, from either end. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.codePointAt(start), chars)) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (right && end > start && stripped(s.codePointBefore(end), chars)) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? Lexer.isSpace(c) : chars.indexOf(new String(Character.toChars(c))) >= 0;
    }

    private static List<Object> split(String s, String sep, long max) {
        List<Object> out = new ArrayList<>();
        if (sep == null) { // runs of white space, no empty strings
            int i = 0;
            while (true) {
                while (i < s.length() && Lexer.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    return out;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < s.length() && !Lexer.isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new TemplateError("split(): empty separator");
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static String replace(String s, String old, String with, long count) {
        if (count < 0) {
            return s.replace(old, with);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(with);
            if (old.isEmpty()) {
                if (at < s.length()) {
                    out.appendCodePoint(s.codePointAt(at));
                }
                from = at + (at < s.length() ? Character.charCount(s.codePointAt(at)) : 1);
            } else {
                from = at + old.length();
            }
        }
        if (from <= s.length()) {
            out.append(s.substring(from));
        }
        return out.toString();
    }

    /** Python's str.title(): a letter after a non-letter is upper (title) case, one after a letter lower case. */
    static String title(String s) {
        StringBuilder out = new StringBuilder();
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = cased;
            i += Character.charCount(c);
        }
        return out.toString();
    }

    static String requireString(Object o, String method) {
        if (!(o instanceof String s)) {
            throw new TemplateError(method + "() argument must be str, not " + Py.typeName(o));
        }
        return s;
    }

    private static void arity(String name, List<Object> args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            throw new TemplateError(name + "() takes " + (min == max ? min : min + " to " + max) + " arguments ("
                    + args.size() + " given)");
        }
    }
}
