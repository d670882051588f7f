package rlhf4j.tokenizer.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import rlhf4j.tokenizer.jinja.Node.Expr;
import rlhf4j.tokenizer.jinja.Node.Stmt;
import rlhf4j.tokenizer.jinja.Py.Callable;
import rlhf4j.tokenizer.jinja.Py.Namespace;
import rlhf4j.tokenizer.jinja.Py.Tuple;
import rlhf4j.tokenizer.jinja.Py.Undefined;

/**
 * Runs a parsed template as Python's Jinja2 does inside transformers' {@code ImmutableSandboxedEnvironment}:
 * Jinja's scoping (a loop body or macro has its own variables, {@code if} does not), its lookup rules
 * ({@code a.b} tries the attribute then the item, {@code a['b']} the other way round), Python's operators, the
 * filters, tests and string/dict methods chat templates use, and transformers' globals ({@code raise_exception},
 * {@code strftime_now}). What it does not implement it refuses with a {@link TemplateError}, so a template is
 * either rendered as Python would or not at all.
 */
final class Interpreter {
    private static final int MAX_RANGE = 100_000; // the sandbox's limit on range()

    /** Variables of one scope; lookups fall back to the enclosing one. */
    private static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return new Undefined(name);
        }
    }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() {
            super(null, null, false, false);
        }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() {
            super(null, null, false, false);
        }
    }

    /** The {@code loop} variable of a for loop. */
    private static final class Loop {
        final List<Object> items;
        int index0;

        Loop(List<Object> items) {
            this.items = items;
        }
    }

    private final Supplier<LocalDateTime> clock;

    Interpreter(Supplier<LocalDateTime> clock) {
        this.clock = clock;
    }

    String render(List<Stmt> template, Map<String, Object> context) {
        Scope globals = new Scope(null);
        globals.vars.put("range", (Callable) this::range);
        globals.vars.put("namespace", (Callable) (args, kwargs) -> namespace(args, kwargs));
        globals.vars.put("dict", (Callable) (args, kwargs) -> {
            if (!args.isEmpty()) {
                throw new TemplateError("dict() with positional arguments is not supported");
            }
            return new LinkedHashMap<Object, Object>(kwargs);
        });
        globals.vars.put("raise_exception", (Callable) (args, kwargs) -> {
            throw new TemplateError("the template raised an error: " + (args.isEmpty() ? "" : Py.str(args.get(0))));
        });
        globals.vars.put("strftime_now", (Callable) (args, kwargs) -> strftime(Py.str(args.get(0)), clock.get()));
        Scope scope = new Scope(globals);
        context.forEach((k, v) -> scope.vars.put(k, Py.fromJava(v)));
        StringBuilder out = new StringBuilder();
        try {
            exec(template, scope, out);
        } catch (BreakSignal | ContinueSignal e) {
            throw new TemplateError("break or continue outside a loop");
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- statements

    private void exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            exec(s, scope, out);
        }
    }

    private void exec(Stmt stmt, Scope scope, StringBuilder out) {
        if (stmt instanceof Node.Text t) {
            out.append(t.text());
        } else if (stmt instanceof Node.Output o) {
            out.append(Py.str(eval(o.value(), scope)));
        } else if (stmt instanceof Node.If f) {
            for (int i = 0; i < f.conditions().size(); i++) {
                if (Py.truthy(eval(f.conditions().get(i), scope))) {
                    exec(f.bodies().get(i), scope, out);
                    return;
                }
            }
            exec(f.orElse(), scope, out);
        } else if (stmt instanceof Node.For f) {
            loop(f, scope, out);
        } else if (stmt instanceof Node.Set s) {
            assign(s, scope);
        } else if (stmt instanceof Node.SetBlock s) {
            StringBuilder text = new StringBuilder();
            exec(s.body(), scope, text);
            scope.vars.put(s.name(), text.toString());
        } else if (stmt instanceof Node.Macro m) {
            scope.vars.put(m.name(), macro(m, scope));
        } else if (stmt instanceof Node.Break) {
            throw new BreakSignal();
        } else if (stmt instanceof Node.Continue) {
            throw new ContinueSignal();
        } else {
            throw new IllegalStateException("unknown statement " + stmt);
        }
    }

    private void assign(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.attribute() != null) {
            Object target = scope.get(s.names().get(0));
            if (!(target instanceof Namespace ns)) {
                throw new TemplateError(s.line(), "cannot assign attribute on non-namespace object "
                        + s.names().get(0));
            }
            ns.attributes.put(s.attribute(), value);
        } else if (s.names().size() == 1) {
            scope.vars.put(s.names().get(0), value);
        } else {
            List<Object> parts = unpack(value, s.names().size(), s.line());
            for (int i = 0; i < parts.size(); i++) {
                scope.vars.put(s.names().get(i), parts.get(i));
            }
        }
    }

    private void loop(Node.For f, Scope scope, StringBuilder out) {
        List<Object> items = new ArrayList<>();
        for (Object item : iterate(eval(f.iterable(), scope), f.line())) {
            if (f.filter() != null) {
                Scope test = new Scope(scope);
                bind(test, f.targets(), item, f.line());
                if (!Py.truthy(eval(f.filter(), test))) {
                    continue;
                }
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            exec(f.orElse(), scope, out);
            return;
        }
        Loop loop = new Loop(items);
        for (int i = 0; i < items.size(); i++) {
            loop.index0 = i;
            Scope body = new Scope(scope); // each iteration starts from the enclosing variables, as in Jinja
            body.vars.put("loop", loop);
            bind(body, f.targets(), items.get(i), f.line());
            try {
                exec(f.body(), body, out);
            } catch (BreakSignal e) {
                break;
            } catch (ContinueSignal e) {
                // next item
            }
        }
    }

    private void bind(Scope scope, List<String> targets, Object item, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), item);
            return;
        }
        List<Object> parts = unpack(item, targets.size(), line);
        for (int i = 0; i < targets.size(); i++) {
            scope.vars.put(targets.get(i), parts.get(i));
        }
    }

    private static List<Object> unpack(Object value, int n, int line) {
        List<Object> parts = iterate(value, line);
        if (parts.size() != n) {
            throw new TemplateError(line, "cannot unpack " + parts.size() + " values into " + n + " names");
        }
        return parts;
    }

    private Callable macro(Node.Macro m, Scope closure) {
        return (args, kwargs) -> {
            Scope scope = new Scope(closure);
            if (args.size() > m.params().size()) {
                throw new TemplateError("macro '" + m.name() + "' takes " + m.params().size() + " arguments, got "
                        + args.size());
            }
            for (String k : kwargs.keySet()) {
                if (!m.params().contains(k)) {
                    throw new TemplateError("macro '" + m.name() + "' has no parameter '" + k + "'");
                }
            }
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (kwargs.containsKey(p)) {
                    v = kwargs.get(p);
                } else if (m.defaults().get(i) != null) {
                    v = eval(m.defaults().get(i), scope);
                } else {
                    v = new Undefined(p); // Jinja leaves a missing macro argument undefined
                }
                scope.vars.put(p, v);
            }
            StringBuilder out = new StringBuilder();
            try {
                exec(m.body(), scope, out);
            } catch (BreakSignal | ContinueSignal e) {
                throw new TemplateError("break or continue outside a loop in macro '" + m.name() + "'");
            }
            return out.toString();
        };
    }

    // ---------------------------------------------------------------- expressions

    private Object eval(Expr e, Scope scope) {
        if (e instanceof Node.Const c) {
            return c.value();
        }
        if (e instanceof Node.Name n) {
            return scope.get(n.name());
        }
        if (e instanceof Node.ListLit l) {
            List<Object> items = new ArrayList<>();
            for (Expr x : l.items()) {
                items.add(eval(x, scope));
            }
            return l.tuple() ? new Tuple(items) : items;
        }
        if (e instanceof Node.DictLit d) {
            Map<Object, Object> map = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
            }
            return map;
        }
        if (e instanceof Node.Attr a) {
            return getattr(eval(a.target(), scope), a.name(), a.line());
        }
        if (e instanceof Node.Item it) {
            return getitem(eval(it.target(), scope), eval(it.key(), scope), it.line());
        }
        if (e instanceof Node.Slice s) {
            return slice(eval(s.target(), scope), opt(s.start(), scope), opt(s.stop(), scope), opt(s.step(), scope),
                    s.line());
        }
        if (e instanceof Node.Call c) {
            Object f = eval(c.function(), scope);
            return call(f, evalAll(c.args(), scope), kwargs(c.keywords(), c.keywordValues(), scope), c.line());
        }
        if (e instanceof Node.Filter f) {
            return Filters.apply(this, f.name(), eval(f.value(), scope), evalAll(f.args(), scope),
                    kwargs(f.keywords(), f.keywordValues(), scope), f.line());
        }
        if (e instanceof Node.Test t) {
            boolean result = Filters.test(t.name(), eval(t.value(), scope), evalAll(t.args(), scope), t.line());
            return t.negated() != result;
        }
        if (e instanceof Node.Unary u) {
            return unary(u, scope);
        }
        if (e instanceof Node.Binary b) {
            return binary(b, scope);
        }
        if (e instanceof Node.Compare c) {
            Object left = eval(c.first(), scope);
            for (int i = 0; i < c.ops().size(); i++) {
                Object right = eval(c.rest().get(i), scope);
                if (!compare(c.ops().get(i), left, right, c.line())) {
                    return false;
                }
                left = right;
            }
            return true;
        }
        Node.Cond c = (Node.Cond) e;
        return Py.truthy(eval(c.test(), scope)) ? eval(c.yes(), scope)
                : c.no() == null ? new Undefined("else") : eval(c.no(), scope);
    }

    private Object opt(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>();
        for (Expr x : exprs) {
            out.add(eval(x, scope));
        }
        return out;
    }

    private Map<String, Object> kwargs(List<String> names, List<Expr> values, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), eval(values.get(i), scope));
        }
        return out;
    }

    Object call(Object f, List<Object> args, Map<String, Object> kwargs, int line) {
        if (f instanceof Undefined u) {
            throw new TemplateError(line, "'" + u.name() + "' is undefined");
        }
        if (!(f instanceof Callable c)) {
            throw new TemplateError(line, "'" + Py.typeName(f) + "' object is not callable");
        }
        try {
            return c.call(args, kwargs);
        } catch (TemplateError e) {
            throw e.getMessage().startsWith("line ") ? e : new TemplateError(line, e.getMessage());
        }
    }

    private Object unary(Node.Unary u, Scope scope) {
        Object v = eval(u.operand(), scope);
        switch (u.op()) {
            case "not" -> {
                return !Py.truthy(v);
            }
            case "-" -> {
                requireNumber(v, "unary -", u.line());
                return v instanceof Double d ? (Object) (-d) : (Object) Math.negateExact(Py.toLong(v));
            }
            default -> {
                requireNumber(v, "unary +", u.line());
                return v instanceof Double ? v : (Object) Py.toLong(v);
            }
        }
    }

    private Object binary(Node.Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        switch (b.op()) {
            case "and" -> {
                return Py.truthy(left) ? eval(b.right(), scope) : left;
            }
            case "or" -> {
                return Py.truthy(left) ? left : eval(b.right(), scope);
            }
            case "~" -> {
                return Py.str(left) + Py.str(eval(b.right(), scope));
            }
            default -> {
                return arithmetic(b.op(), left, eval(b.right(), scope), b.line());
            }
        }
    }

    static Object arithmetic(String op, Object a, Object b, int line) {
        if (a instanceof Undefined u) {
            throw new TemplateError(line, "'" + u.name() + "' is undefined");
        }
        if (b instanceof Undefined u) {
            throw new TemplateError(line, "'" + u.name() + "' is undefined");
        }
        if (op.equals("+")) {
            if (a instanceof String x && b instanceof String y) {
                return x + y;
            }
            if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
                List<Object> out = new ArrayList<>(x);
                out.addAll(y);
                return a instanceof Tuple ? new Tuple(out) : out;
            }
        }
        if (op.equals("*") && (a instanceof String || b instanceof String)) {
            Object n = a instanceof String ? b : a;
            if (n instanceof Long || n instanceof Boolean) {
                return (a instanceof String s ? s : (String) b).repeat((int) Math.max(0, Py.toLong(n)));
            }
        }
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw new TemplateError(line, "unsupported operand types for " + op + ": '" + Py.typeName(a) + "' and '"
                    + Py.typeName(b) + "'");
        }
        boolean floats = a instanceof Double || b instanceof Double;
        switch (op) {
            case "+" -> {
                return floats ? (Object) (Py.toDouble(a) + Py.toDouble(b)) : Math.addExact(Py.toLong(a), Py.toLong(b));
            }
            case "-" -> {
                return floats ? (Object) (Py.toDouble(a) - Py.toDouble(b))
                        : Math.subtractExact(Py.toLong(a), Py.toLong(b));
            }
            case "*" -> {
                return floats ? (Object) (Py.toDouble(a) * Py.toDouble(b))
                        : Math.multiplyExact(Py.toLong(a), Py.toLong(b));
            }
            case "/" -> {
                if (Py.toDouble(b) == 0) {
                    throw new TemplateError(line, "division by zero");
                }
                return Py.toDouble(a) / Py.toDouble(b);
            }
            case "//", "%" -> {
                if (Py.toDouble(b) == 0) {
                    throw new TemplateError(line, "integer division or modulo by zero");
                }
                if (floats) {
                    double x = Py.toDouble(a);
                    double y = Py.toDouble(b);
                    double q = Math.floor(x / y);
                    return op.equals("//") ? q : x - q * y;
                }
                long x = Py.toLong(a);
                long y = Py.toLong(b);
                return op.equals("//") ? Math.floorDiv(x, y) : Math.floorMod(x, y);
            }
            default -> { // **
                if (!floats && Py.toLong(b) >= 0) {
                    long r = 1;
                    for (long i = 0; i < Py.toLong(b); i++) {
                        r = Math.multiplyExact(r, Py.toLong(a));
                    }
                    return r;
                }
                return Math.pow(Py.toDouble(a), Py.toDouble(b));
            }
        }
    }

    private static void requireNumber(Object v, String op, int line) {
        if (!Py.isNumber(v)) {
            throw new TemplateError(line, "bad operand type for " + op + ": '" + Py.typeName(v) + "'");
        }
    }

    static boolean compare(String op, Object a, Object b, int line) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "<" -> Py.compare(a, b, line) < 0;
            case "<=" -> Py.compare(a, b, line) <= 0;
            case ">" -> Py.compare(a, b, line) > 0;
            case ">=" -> Py.compare(a, b, line) >= 0;
            case "in" -> contains(b, a, line);
            default -> !contains(b, a, line); // not in
        };
    }

    static boolean contains(Object container, Object item, int line) {
        if (container instanceof String s) {
            if (!(item instanceof String x)) {
                throw new TemplateError(line, "'in <string>' requires string as left operand, not " + Py.typeName(item));
            }
            return s.contains(x);
        }
        if (container instanceof Map<?, ?> m) {
            return m.keySet().stream().anyMatch(k -> Py.eq(k, item));
        }
        if (container instanceof List<?> l) {
            return l.stream().anyMatch(x -> Py.eq(x, item));
        }
        if (container instanceof Undefined) {
            return false; // iterating an undefined value yields nothing
        }
        throw new TemplateError(line, "argument of type '" + Py.typeName(container) + "' is not iterable");
    }

    // ---------------------------------------------------------------- lookups

    /** {@code obj.name}: the attribute (a method, a namespace's attribute), else the item, else undefined. */
    Object getattr(Object obj, String name, int line) {
        if (obj instanceof Undefined u) {
            throw new TemplateError(line, "'" + u.name() + "' is undefined (reading its attribute '" + name + "')");
        }
        Object method = Methods.bind(this, obj, name);
        if (method != null) {
            return method;
        }
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : new Undefined(name);
        }
        if (obj instanceof Loop loop) {
            return loopAttribute(loop, name);
        }
        if (obj instanceof Map<?, ?> m && m.containsKey(name)) {
            return m.get(name);
        }
        return new Undefined(name);
    }

    /** {@code obj[key]}: the item, else (for a string key) the attribute, else undefined. */
    Object getitem(Object obj, Object key, int line) {
        if (obj instanceof Undefined u) {
            throw new TemplateError(line, "'" + u.name() + "' is undefined (reading its item " + Py.repr(key) + ")");
        }
        if (obj instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (Py.eq(e.getKey(), key)) {
                    return e.getValue();
                }
            }
        } else if ((obj instanceof List<?> || obj instanceof String) && (key instanceof Long || key instanceof Boolean)) {
            List<Object> items = iterate(obj, line);
            long i = Py.toLong(key);
            if (i < 0) {
                i += items.size();
            }
            return i >= 0 && i < items.size() ? items.get((int) i) : new Undefined(Py.repr(key));
        }
        if (key instanceof String s) {
            return getattr(obj, s, line);
        }
        return new Undefined(Py.repr(key));
    }

    private Object loopAttribute(Loop loop, String name) {
        int n = loop.items.size();
        int i = loop.index0;
        return switch (name) {
            case "index" -> (long) i + 1;
            case "index0" -> (long) i;
            case "revindex" -> (long) (n - i);
            case "revindex0" -> (long) (n - i - 1);
            case "first" -> i == 0;
            case "last" -> i == n - 1;
            case "length" -> (long) n;
            case "previtem" -> i > 0 ? loop.items.get(i - 1) : new Undefined("previtem");
            case "nextitem" -> i < n - 1 ? loop.items.get(i + 1) : new Undefined("nextitem");
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "cycle" -> (Callable) (args, kwargs) -> {
                if (args.isEmpty()) {
                    throw new TemplateError("no items for cycling given");
                }
                return args.get(i % args.size());
            };
            default -> new Undefined(name);
        };
    }

    private static Object slice(Object obj, Object start, Object stop, Object step, int line) {
        if (!(obj instanceof List<?> || obj instanceof String)) {
            throw new TemplateError(line, "'" + Py.typeName(obj) + "' object is not subscriptable");
        }
        List<Object> items = iterate(obj, line);
        int n = items.size();
        long st = step == null ? 1 : Py.toLong(step);
        if (st == 0) {
            throw new TemplateError(line, "slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(Py.toLong(start), n, 0, n);
            hi = stop == null ? n : clamp(Py.toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(Py.toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(Py.toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get((int) i));
        }
        if (obj instanceof String) {
            StringBuilder s = new StringBuilder();
            out.forEach(c -> s.append((String) c));
            return s.toString();
        }
        return obj instanceof Tuple ? new Tuple(out) : out;
    }

    /** A slice bound as Python adjusts it: negative counts from the end, then clipped to [low, high]. */
    private static long clamp(long v, int n, long low, long high) {
        if (v < 0) {
            v += n;
        }
        return Math.max(low, Math.min(high, v));
    }

    /** What {@code for} iterates: a list's items, a string's characters, a dict's keys; undefined is empty. */
    static List<Object> iterate(Object v, int line) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
            return chars;
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        throw new TemplateError(line, "'" + Py.typeName(v) + "' object is not iterable");
    }

    // ---------------------------------------------------------------- globals

    private Object range(List<Object> args, Map<String, Object> kwargs) {
        if (args.isEmpty() || args.size() > 3 || !args.stream().allMatch(a -> a instanceof Long || a instanceof Boolean)) {
            throw new TemplateError("range() takes one to three integers");
        }
        long start = args.size() == 1 ? 0 : Py.toLong(args.get(0));
        long stop = Py.toLong(args.get(args.size() == 1 ? 0 : 1));
        long step = args.size() == 3 ? Py.toLong(args.get(2)) : 1;
        if (step == 0) {
            throw new TemplateError("range() arg 3 must not be zero");
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            if (out.size() >= MAX_RANGE) {
                throw new TemplateError("range too big, the sandbox allows " + MAX_RANGE + " items");
            }
            out.add(i);
        }
        return out;
    }

    private static Object namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map<?, ?> m)) {
                throw new TemplateError("namespace() takes a dict or keyword arguments");
            }
            m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    /** Python's strftime for the directives chat templates use, in the C locale's English names. */
    static String strftime(String format, LocalDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'd' -> out.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> out.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> out.append(t.getYear());
                case 'y' -> out.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> out.append(String.format("%02d", t.getHour()));
                case 'M' -> out.append(String.format("%02d", t.getMinute()));
                case 'S' -> out.append(String.format("%02d", t.getSecond()));
                case 'j' -> out.append(String.format("%03d", t.getDayOfYear()));
                case 'b' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case '%' -> out.append('%');
                default -> throw new TemplateError("strftime directive %" + d + " is not supported");
            }
        }
        return out.toString();
    }
}
