package rlhf4j.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import rlhf4j.tokenizer.jinja.Lexer.Kind;
import rlhf4j.tokenizer.jinja.Lexer.Token;
import rlhf4j.tokenizer.jinja.Node.Expr;
import rlhf4j.tokenizer.jinja.Node.Stmt;

/**
 * Parses template tokens into statements and expressions, following the grammar and operator precedence of
 * Jinja2's parser ({@code jinja2/parser.py}): e.g. {@code ~} binds tighter than {@code +}, filters and tests bind
 * tighter than unary minus, {@code **} is left-associative. Tags other than if, for, set, macro, break, continue
 * and Hugging Face's {@code generation} are refused by name.
 */
final class Parser {
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> tokens;
    private int i;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Stmt> body = p.body(Set.of());
        if (p.peek().kind() != Kind.EOF) {
            Token t = p.peek();
            throw new TemplateError(t.line(), "unexpected '" + p.tagName() + "' tag");
        }
        return body;
    }

    // ---------------------------------------------------------------- statements

    /** Statements up to EOF or a block tag whose keyword is in ends (left unconsumed, at its BLOCK_BEGIN). */
    private List<Stmt> body(Set<String> ends) {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw new TemplateError(t.line(), "missing {% " + String.join(" or ", ends.stream().sorted().toList())
                                + " %}");
                    }
                    return out;
                }
                case TEXT -> {
                    next();
                    out.add(new Node.Text(t.value()));
                }
                case VAR_BEGIN -> {
                    next();
                    out.add(new Node.Output(tuple()));
                    expect(Kind.VAR_END, "}}");
                }
                case BLOCK_BEGIN -> {
                    String keyword = tagName();
                    if (ends.contains(keyword)) {
                        return out;
                    }
                    next();
                    statement(out);
                }
                default -> throw new TemplateError(t.line(), "unexpected " + t.value());
            }
        }
    }

    /** The tag name of the BLOCK_BEGIN at the cursor. */
    private String tagName() {
        Token name = tokens.get(i + 1);
        return name.kind() == Kind.NAME ? name.value() : name.value();
    }

    private void statement(List<Stmt> out) {
        Token keyword = next();
        if (keyword.kind() != Kind.NAME) {
            throw new TemplateError(keyword.line(), "expected a tag name after {%");
        }
        switch (keyword.value()) {
            case "if" -> out.add(ifStatement());
            case "for" -> out.add(forStatement(keyword.line()));
            case "set" -> out.add(setStatement(keyword.line()));
            case "macro" -> out.add(macro());
            case "break" -> {
                expect(Kind.BLOCK_END, "%}");
                out.add(new Node.Break());
            }
            case "continue" -> {
                expect(Kind.BLOCK_END, "%}");
                out.add(new Node.Continue());
            }
            case "generation" -> { // transformers' marker around assistant text: renders its body unchanged
                expect(Kind.BLOCK_END, "%}");
                out.addAll(body(Set.of("endgeneration")));
                endTag("endgeneration");
            }
            default -> throw new TemplateError(keyword.line(), "the {% " + keyword.value() + " %} tag is not supported");
        }
    }

    private Stmt ifStatement() {
        List<Expr> conditions = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        conditions.add(tuple());
        expect(Kind.BLOCK_END, "%}");
        bodies.add(body(Set.of("elif", "else", "endif")));
        while (true) {
            next();
            Token keyword = next();
            if (keyword.isName("elif")) {
                conditions.add(tuple());
                expect(Kind.BLOCK_END, "%}");
                bodies.add(body(Set.of("elif", "else", "endif")));
            } else if (keyword.isName("else")) {
                expect(Kind.BLOCK_END, "%}");
                orElse = body(Set.of("endif"));
                endTag("endif");
                break;
            } else {
                expect(Kind.BLOCK_END, "%}");
                break;
            }
        }
        return new Node.If(conditions, bodies, orElse);
    }

    private Stmt forStatement(int line) {
        List<String> targets = new ArrayList<>();
        boolean parenthesized = peek().isOp("(");
        if (parenthesized) {
            next();
        }
        targets.add(name());
        while (peek().isOp(",")) {
            next();
            targets.add(name());
        }
        if (parenthesized) {
            expect(Kind.OP, ")");
        }
        expectName("in");
        Expr iterable = orExpression();
        if (peek().isOp(",")) {
            List<Expr> items = new ArrayList<>(List.of(iterable));
            while (peek().isOp(",")) {
                next();
                items.add(orExpression());
            }
            iterable = new Node.ListLit(items, true, line);
        }
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = expression();
        }
        if (peek().isName("recursive")) {
            throw new TemplateError(line, "recursive loops are not supported");
        }
        expect(Kind.BLOCK_END, "%}");
        List<Stmt> body = body(Set.of("else", "endfor"));
        List<Stmt> orElse = List.of();
        next();
        if (next().isName("else")) {
            expect(Kind.BLOCK_END, "%}");
            orElse = body(Set.of("endfor"));
            endTag("endfor");
        } else {
            expect(Kind.BLOCK_END, "%}");
        }
        return new Node.For(targets, iterable, filter, body, orElse, line);
    }

    private Stmt setStatement(int line) {
        List<String> names = new ArrayList<>();
        names.add(name());
        String attribute = null;
        if (peek().isOp(".")) {
            next();
            attribute = name();
        } else {
            while (peek().isOp(",")) {
                next();
                names.add(name());
            }
        }
        if (peek().kind() == Kind.BLOCK_END && names.size() == 1 && attribute == null) {
            next();
            List<Stmt> body = body(Set.of("endset"));
            endTag("endset");
            return new Node.SetBlock(names.get(0), body);
        }
        expect(Kind.OP, "=");
        Expr value = tuple();
        expect(Kind.BLOCK_END, "%}");
        return new Node.Set(names, attribute, value, line);
    }

    private Stmt macro() {
        String name = name();
        expect(Kind.OP, "(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expect(Kind.OP, ",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            params.add(name());
            if (peek().isOp("=")) {
                next();
                defaults.add(expression());
            } else {
                if (!defaults.isEmpty() && defaults.get(defaults.size() - 1) != null) {
                    throw new TemplateError(peek().line(), "a macro parameter without a default follows one with a default");
                }
                defaults.add(null);
            }
        }
        next();
        expect(Kind.BLOCK_END, "%}");
        List<Stmt> body = body(Set.of("endmacro"));
        endTag("endmacro");
        return new Node.Macro(name, params, defaults, body);
    }

    /** Consumes {@code {% keyword %}}. */
    private void endTag(String keyword) {
        expect(Kind.BLOCK_BEGIN, "{%");
        expectName(keyword);
        expect(Kind.BLOCK_END, "%}");
    }

    // ---------------------------------------------------------------- expressions

    /** An expression, or several separated by commas (a tuple), as in {@code {{ a, b }}}. */
    private Expr tuple() {
        int line = peek().line();
        Expr first = expression();
        if (!peek().isOp(",")) {
            return first;
        }
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            if (endOfTuple()) {
                break;
            }
            items.add(expression());
        }
        return new Node.ListLit(items, true, line);
    }

    private boolean endOfTuple() {
        Token t = peek();
        return t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOp(")");
    }

    /** The conditional expression {@code a if b else c} and everything below it. */
    private Expr expression() {
        Expr value = orExpression();
        while (peek().isName("if")) {
            int line = next().line();
            Expr test = orExpression();
            Expr no = null;
            if (peek().isName("else")) {
                next();
                no = expression();
            }
            value = new Node.Cond(test, value, no, line);
        }
        return value;
    }

    private Expr orExpression() {
        Expr left = andExpression();
        while (peek().isName("or")) {
            int line = next().line();
            left = new Node.Binary("or", left, andExpression(), line);
        }
        return left;
    }

    private Expr andExpression() {
        Expr left = notExpression();
        while (peek().isName("and")) {
            int line = next().line();
            left = new Node.Binary("and", left, notExpression(), line);
        }
        return left;
    }

    private Expr notExpression() {
        if (peek().isName("not")) {
            int line = next().line();
            return new Node.Unary("not", notExpression(), line);
        }
        return comparison();
    }

    private Expr comparison() {
        int line = peek().line();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARISONS.contains(t.value())) {
                next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && tokens.get(i + 1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Node.Compare(first, ops, rest, line);
    }

    private Expr math1() {
        Expr left = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token op = next();
            left = new Node.Binary(op.value(), left, concat(), op.line());
        }
        return left;
    }

    private Expr concat() {
        Expr left = math2();
        while (peek().isOp("~")) {
            int line = next().line();
            left = new Node.Binary("~", left, math2(), line);
        }
        return left;
    }

    private Expr math2() {
        Expr left = power();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token op = next();
            left = new Node.Binary(op.value(), left, power(), op.line());
        }
        return left;
    }

    private Expr power() {
        Expr left = unary(true);
        while (peek().isOp("**")) {
            int line = next().line();
            left = new Node.Binary("**", left, unary(true), line);
        }
        return left;
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            node = new Node.Unary(t.value(), unary(false), t.line());
        } else {
            node = primary();
        }
        node = postfix(node);
        return withFilter ? filters(node) : node;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.value()) {
                    case "true", "True" -> new Node.Const(Boolean.TRUE, t.line());
                    case "false", "False" -> new Node.Const(Boolean.FALSE, t.line());
                    case "none", "None" -> new Node.Const(null, t.line());
                    default -> new Node.Name(t.value(), t.line());
                };
            }
            case STRING -> {
                StringBuilder s = new StringBuilder(t.value());
                while (peek().kind() == Kind.STRING) {
                    s.append(next().value()); // adjacent literals join, as in Python
                }
                return new Node.Const(s.toString(), t.line());
            }
            case INT -> {
                return new Node.Const(Long.parseLong(t.value()), t.line());
            }
            case FLOAT -> {
                return new Node.Const(Double.parseDouble(t.value()), t.line());
            }
            case OP -> {
                switch (t.value()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new Node.ListLit(List.of(), true, t.line());
                        }
                        Expr first = expression();
                        if (peek().isOp(")")) {
                            next();
                            return first;
                        }
                        List<Expr> items = new ArrayList<>(List.of(first));
                        while (peek().isOp(",")) {
                            next();
                            if (peek().isOp(")")) {
                                break;
                            }
                            items.add(expression());
                        }
                        expect(Kind.OP, ")");
                        return new Node.ListLit(items, true, t.line());
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) {
                                expect(Kind.OP, ",");
                                if (peek().isOp("]")) {
                                    break;
                                }
                            }
                            items.add(expression());
                        }
                        next();
                        return new Node.ListLit(items, false, t.line());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) {
                                expect(Kind.OP, ",");
                                if (peek().isOp("}")) {
                                    break;
                                }
                            }
                            keys.add(expression());
                            expect(Kind.OP, ":");
                            values.add(expression());
                        }
                        next();
                        return new Node.DictLit(keys, values, t.line());
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw new TemplateError(t.line(), "unexpected " + describe(t));
    }

    private Expr postfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token attr = next();
                if (attr.kind() == Kind.NAME) {
                    node = new Node.Attr(node, attr.value(), attr.line());
                } else if (attr.kind() == Kind.INT) {
                    node = new Node.Item(node, new Node.Const(Long.parseLong(attr.value()), attr.line()), attr.line());
                } else {
                    throw new TemplateError(attr.line(), "expected an attribute name after '.'");
                }
            } else if (t.isOp("[")) {
                next();
                node = subscript(node, t.line());
            } else if (t.isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Expr target, int line) {
        Expr start = peek().isOp(":") ? null : expression();
        if (peek().isOp("]")) {
            next();
            if (start == null) {
                throw new TemplateError(line, "empty subscript");
            }
            return new Node.Item(target, start, line);
        }
        expect(Kind.OP, ":");
        Expr stop = peek().isOp("]") || peek().isOp(":") ? null : expression();
        Expr step = null;
        if (peek().isOp(":")) {
            next();
            step = peek().isOp("]") ? null : expression();
        }
        expect(Kind.OP, "]");
        return new Node.Slice(target, start, stop, step, line);
    }

    private Node.Call call(Expr function) {
        int line = next().line();
        List<Expr> args = new ArrayList<>();
        List<String> keywords = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        arguments(args, keywords, values);
        return new Node.Call(function, args, keywords, values, line);
    }

    /** Call arguments after the '(' up to and including the ')'. */
    private void arguments(List<Expr> args, List<String> keywords, List<Expr> values) {
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expect(Kind.OP, ",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (peek().isOp("*") || peek().isOp("**")) {
                throw new TemplateError(peek().line(), "*args and **kwargs in calls are not supported");
            }
            if (peek().kind() == Kind.NAME && tokens.get(i + 1).isOp("=")) {
                keywords.add(next().value());
                next();
                values.add(expression());
            } else {
                if (!keywords.isEmpty()) {
                    throw new TemplateError(peek().line(), "a positional argument follows a keyword argument");
                }
                args.add(expression());
            }
        }
        next();
    }

    private Expr filters(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                String name = dottedName();
                List<Expr> args = new ArrayList<>();
                List<String> keywords = new ArrayList<>();
                List<Expr> values = new ArrayList<>();
                if (peek().isOp("(")) {
                    next();
                    arguments(args, keywords, values);
                }
                node = new Node.Filter(node, name, args, keywords, values, t.line());
            } else if (t.isName("is")) {
                next();
                boolean negated = false;
                if (peek().isName("not")) {
                    next();
                    negated = true;
                }
                String name = dottedName();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    next();
                    List<String> keywords = new ArrayList<>();
                    arguments(args, keywords, new ArrayList<>());
                    if (!keywords.isEmpty()) {
                        throw new TemplateError(t.line(), "keyword arguments to tests are not supported");
                    }
                } else if (startsPrimary(peek())) {
                    args.add(postfix(primary())); // "x is divisibleby 3", "x is sameas none"
                }
                node = new Node.Test(node, name, args, negated, t.line());
            } else if (t.isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private boolean startsPrimary(Token t) {
        return switch (t.kind()) {
            case NAME -> !Set.of("else", "or", "and", "if", "is", "in", "not").contains(t.value());
            case STRING, INT, FLOAT -> true;
            case OP -> t.value().equals("(") || t.value().equals("[") || t.value().equals("{");
            default -> false;
        };
    }

    private String dottedName() {
        StringBuilder name = new StringBuilder(name());
        while (peek().isOp(".")) {
            next();
            name.append('.').append(name());
        }
        return name.toString();
    }

    // ---------------------------------------------------------------- tokens

    private Token peek() {
        return tokens.get(i);
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.kind() != Kind.EOF) {
            i++;
        }
        return t;
    }

    private String name() {
        Token t = next();
        if (t.kind() != Kind.NAME) {
            throw new TemplateError(t.line(), "expected a name, got " + describe(t));
        }
        return t.value();
    }

    private void expectName(String name) {
        Token t = next();
        if (!t.isName(name)) {
            throw new TemplateError(t.line(), "expected '" + name + "', got " + describe(t));
        }
    }

    private void expect(Kind kind, String what) {
        Token t = next();
        if (t.kind() != kind || (kind == Kind.OP && !t.value().equals(what))) {
            throw new TemplateError(t.line(), "expected '" + what + "', got " + describe(t));
        }
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "the end of the template";
            case VAR_END -> "'}}'";
            case BLOCK_END -> "'%}'";
            case VAR_BEGIN -> "'{{'";
            case BLOCK_BEGIN -> "'{%'";
            case TEXT -> "text";
            case STRING -> "a string";
            default -> "'" + t.value() + "'";
        };
    }
}
