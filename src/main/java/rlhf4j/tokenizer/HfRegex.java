package rlhf4j.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates the regex of a Hugging Face {@code Split} pre-tokenizer into a {@link Pattern} that splits text
 * the same way. Hugging Face compiles these with Oniguruma (Ruby syntax, Unicode semantics); Java's engine
 * agrees on most syntax but not all meanings: {@code \v} is vertical white space in Java and U+000B in
 * Oniguruma, {@code \h} is a hex digit there, {@code .} excludes only {@code \n} there, {@code {,n}} is a
 * quantifier there and a syntax error here, and Java's case-insensitive matching has no multi-character folds
 * (Oniguruma's {@code (?i:ss)} matches "ß"). Each construct is therefore either rewritten to its Oniguruma
 * meaning or refused with the reason, never passed through on the hope that it means the same: a tokenizer
 * that split differently would silently give other ids than the model was trained on.
 */
final class HfRegex {
    /** UNICODE_CHARACTER_CLASS: {@code \s} is White_Space and case-insensitivity is Unicode's, as in Oniguruma. */
    static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS;

    /** Unicode general categories, which both engines read from the same tables (up to their Unicode versions). */
    private static final Set<String> CATEGORIES = Set.of("L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me",
            "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
            "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cs", "Cn");
    /** ASCII letter sequences that some character case-folds to as a whole (ß → ss, ﬁ → fi, ﬆ → st, ...). */
    private static final List<String> MULTI_CHAR_FOLDS = List.of("ss", "ff", "fi", "fl", "st");
    private static final Pattern QUANTIFIER = Pattern.compile("\\{(\\d*)(,(\\d*))?}");

    private final String source;
    private final StringBuilder out = new StringBuilder();
    private int pos;
    /** Per open group, whether it is a {@code (?i:} group (or inside one). */
    private final Deque<Boolean> groups = new ArrayDeque<>();
    private boolean caseless;
    private int caselessStart;

    private HfRegex(String source) {
        this.source = source;
    }

    /**
     * The Java pattern that matches what Oniguruma matches for {@code regex}.
     *
     * @throws IllegalArgumentException naming the construct when the regex uses one not translated here
     */
    static Pattern compile(String regex) {
        String java = new HfRegex(regex).translate();
        try {
            return Pattern.compile(java, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex " + quote(regex) + " does not compile: " + e.getDescription());
        }
    }

    /** The Java source for {@code regex} (for tests). */
    static String toJava(String regex) {
        return new HfRegex(regex).translate();
    }

    private String translate() {
        while (pos < source.length()) {
            int c = source.codePointAt(pos);
            switch (c) {
                case '\\' -> escape(false);
                case '[' -> characterClass();
                case '(' -> openGroup();
                case ')' -> closeGroup();
                case '|', '*', '+', '?' -> {
                    out.append((char) c);
                    pos++;
                }
                case '{' -> brace();
                case '}' -> {
                    out.append("\\}");
                    pos++;
                }
                case '.' -> {
                    requireCaseSensitive(".");
                    out.append("[^\\n]");
                    pos++;
                }
                case '^', '$' -> throw unsupported("the anchor " + (char) c + " (a line anchor in Oniguruma)");
                default -> literal(c);
            }
        }
        if (!groups.isEmpty()) {
            throw new IllegalArgumentException("regex " + quote(source) + " has an unclosed group");
        }
        return out.toString();
    }

    private void literal(int c) {
        if (caseless && c > 0x7F) {
            throw unsupported("the non-ASCII character " + new String(Character.toChars(c))
                    + " in a case-insensitive group");
        }
        out.appendCodePoint(c);
        pos += Character.charCount(c);
    }

    private void openGroup() {
        String rest = source.substring(pos);
        String prefix;
        if (rest.startsWith("(?i:")) {
            prefix = "(?i:";
        } else if (rest.startsWith("(?:") || rest.startsWith("(?=") || rest.startsWith("(?!")
                || rest.startsWith("(?>")) {
            prefix = rest.substring(0, 3);
        } else if (rest.startsWith("(?<=") || rest.startsWith("(?<!")) {
            prefix = rest.substring(0, 4);
        } else if (rest.startsWith("(?")) {
            throw unsupported("the group " + rest.substring(0, Math.min(4, rest.length())) + "...");
        } else {
            prefix = "(";
        }
        groups.push(caseless);
        if (prefix.equals("(?i:") && !caseless) {
            caseless = true;
            caselessStart = out.length();
        }
        out.append(prefix);
        pos += prefix.length();
    }

    private void closeGroup() {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("regex " + quote(source) + " has an unmatched )");
        }
        boolean outer = groups.pop();
        if (caseless && !outer) {
            String body = out.substring(caselessStart).toLowerCase(Locale.ROOT);
            for (String fold : MULTI_CHAR_FOLDS) {
                if (body.contains(fold)) {
                    throw unsupported("\"" + fold + "\" in a case-insensitive group (Oniguruma also matches the "
                            + "single character that case-folds to it)");
                }
            }
        }
        caseless = outer;
        out.append(')');
        pos++;
    }

    /** {@code {n}}, {@code {n,}}, {@code {n,m}}, {@code {,m}} are quantifiers; any other brace is a literal. */
    private void brace() {
        Matcher m = QUANTIFIER.matcher(source).region(pos, source.length());
        if (m.lookingAt() && !(m.group(1).isEmpty() && (m.group(2) == null || m.group(3).isEmpty()))) {
            String min = m.group(1).isEmpty() ? "0" : m.group(1);
            out.append('{').append(min);
            if (m.group(2) != null) {
                out.append(',').append(m.group(3));
            }
            out.append('}');
            pos = m.end();
            if (pos < source.length() && (source.charAt(pos) == '+' || source.charAt(pos) == '*')) {
                // Java reads {n,m}+ as possessive; Oniguruma's Ruby syntax as a repetition of the interval
                throw unsupported("an interval followed by " + source.charAt(pos));
            }
        } else {
            out.append("\\{");
            pos++;
        }
    }

    private void characterClass() {
        requireCaseSensitive("a character class");
        out.append('[');
        pos++;
        if (pos < source.length() && source.charAt(pos) == '^') {
            out.append('^');
            pos++;
        }
        if (pos < source.length() && source.charAt(pos) == ']') {
            throw unsupported("a character class starting with ]");
        }
        while (true) {
            if (pos >= source.length()) {
                throw new IllegalArgumentException("regex " + quote(source) + " has an unclosed character class");
            }
            int c = source.codePointAt(pos);
            if (c == ']') {
                out.append(']');
                pos++;
                return;
            }
            if (c == '[') {
                throw unsupported("a nested or POSIX character class");
            }
            if (c == '&' && source.startsWith("&&", pos)) {
                throw unsupported("character class intersection &&");
            }
            if (c == '\\') {
                escape(true);
            } else {
                out.appendCodePoint(c);
                pos += Character.charCount(c);
            }
        }
    }

    /** An escape at pos, outside or inside a character class. */
    private void escape(boolean inClass) {
        if (pos + 1 >= source.length()) {
            throw new IllegalArgumentException("regex " + quote(source) + " ends with a lone backslash");
        }
        char e = source.charAt(pos + 1);
        if (caseless && "sSdDhHpP".indexOf(e) >= 0) {
            throw unsupported("\\" + e + " in a case-insensitive group");
        }
        pos += 2;
        switch (e) {
            case 's', 'S', 'n', 'r', 't', 'f' -> out.append('\\').append(e);
            case 'v' -> out.append("\\x0B");
            case 'a' -> out.append("\\x07");
            case 'e' -> out.append("\\x1B");
            case 'd' -> out.append("\\p{Nd}");
            case 'D' -> out.append("\\P{Nd}");
            case 'h' -> out.append(inClass ? "0-9A-Fa-f" : "[0-9A-Fa-f]");
            case 'H' -> {
                if (inClass) {
                    throw unsupported("\\H inside a character class");
                }
                out.append("[^0-9A-Fa-f]");
            }
            case 'p', 'P' -> property(e);
            case 'x' -> hex();
            case 'u' -> {
                String digits = source.length() >= pos + 4 ? source.substring(pos, pos + 4) : "";
                if (!digits.matches("[0-9A-Fa-f]{4}")) {
                    throw unsupported("\\u not followed by four hex digits");
                }
                out.append("\\u").append(digits);
                pos += 4;
            }
            case 'b' -> {
                if (!inClass) {
                    throw unsupported("the word boundary \\b (Oniguruma's word characters differ from Java's)");
                }
                out.append("\\x08");
            }
            default -> {
                if (Character.isLetterOrDigit(e)) {
                    throw unsupported("the escape \\" + e);
                }
                if (caseless && e > 0x7F) {
                    throw unsupported("the non-ASCII character " + e + " in a case-insensitive group");
                }
                out.append('\\').append(e); // an escaped punctuation character is itself in both engines
            }
        }
    }

    /** {@code \p{X}}, {@code \P{X}}, {@code \p{^X}} for a general category X. */
    private void property(char e) {
        int close = source.indexOf('}', pos);
        if (pos >= source.length() || source.charAt(pos) != '{' || close < 0) {
            throw unsupported("\\" + e + " without {...}");
        }
        String name = source.substring(pos + 1, close);
        boolean negate = e == 'P';
        if (name.startsWith("^")) {
            negate = !negate;
            name = name.substring(1);
        }
        if (!CATEGORIES.contains(name)) {
            throw unsupported("the property \\" + e + "{" + name + "} (only general categories are translated)");
        }
        out.append(negate ? "\\P{" : "\\p{").append(name).append('}');
        pos = close + 1;
    }

    /** {@code \xHH} or {@code \x{H...}}. */
    private void hex() {
        if (pos < source.length() && source.charAt(pos) == '{') {
            int close = source.indexOf('}', pos);
            String digits = close < 0 ? "" : source.substring(pos + 1, close);
            if (!digits.matches("[0-9A-Fa-f]{1,6}")) {
                throw unsupported("a malformed \\x{...}");
            }
            out.append("\\x{").append(digits).append('}');
            pos = close + 1;
            return;
        }
        String digits = source.length() >= pos + 2 ? source.substring(pos, pos + 2) : "";
        if (!digits.matches("[0-9A-Fa-f]{2}")) {
            throw unsupported("\\x not followed by two hex digits");
        }
        out.append("\\x").append(digits);
        pos += 2;
    }

    private void requireCaseSensitive(String what) {
        if (caseless) {
            throw unsupported(what + " in a case-insensitive group");
        }
    }

    private IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException("regex " + quote(source) + " uses " + what + ", which is not translated "
                + "to Java exactly");
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
