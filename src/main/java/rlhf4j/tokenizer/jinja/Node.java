package rlhf4j.tokenizer.jinja;

import java.util.List;

/** The syntax tree of a template: statements, and the expressions inside them. */
interface Node {
    /** Something that renders output or changes variables. */
    sealed interface Stmt extends Node {
    }

    record Text(String text) implements Stmt {
    }

    record Output(Expr value) implements Stmt {
    }

    /** {@code if} with its {@code elif}s: conditions[i] guards bodies[i]; orElse runs when none holds. */
    record If(List<Expr> conditions, List<List<Stmt>> bodies, List<Stmt> orElse) implements Stmt {
    }

    /** {@code for targets in iterable [if filter]}, with its {@code else} for an empty loop. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Stmt> body, List<Stmt> orElse, int line)
            implements Stmt {
    }

    /** {@code set names = value}, or {@code set namespace.attribute = value} when attribute is not null. */
    record Set(List<String> names, String attribute, Expr value, int line) implements Stmt {
    }

    /** {@code set name %}...{% endset}: the body's output as a string. */
    record SetBlock(String name, List<Stmt> body) implements Stmt {
    }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body) implements Stmt {
    }

    record Break() implements Stmt {
    }

    record Continue() implements Stmt {
    }

    /** A value computed from variables. */
    sealed interface Expr extends Node {
        int line();
    }

    record Const(Object value, int line) implements Expr {
    }

    record Name(String name, int line) implements Expr {
    }

    record ListLit(List<Expr> items, boolean tuple, int line) implements Expr {
    }

    record DictLit(List<Expr> keys, List<Expr> values, int line) implements Expr {
    }

    record Attr(Expr target, String name, int line) implements Expr {
    }

    record Item(Expr target, Expr key, int line) implements Expr {
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr {
    }

    record Call(Expr function, List<Expr> args, List<String> keywords, List<Expr> keywordValues, int line)
            implements Expr {
    }

    record Filter(Expr value, String name, List<Expr> args, List<String> keywords, List<Expr> keywordValues,
            int line) implements Expr {
    }

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr {
    }

    /** {@code -x}, {@code +x}, {@code not x}. */
    record Unary(String op, Expr operand, int line) implements Expr {
    }

    /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {
    }

    /** A chain {@code a < b <= c} as Python reads it; ops include {@code in} and {@code not in}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {
    }

    /** {@code yes if test else no}; no is null when the template leaves out the else. */
    record Cond(Expr test, Expr yes, Expr no, int line) implements Expr {
    }
}
