package rlhf4j.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Jinja template into text and the tokens of its tags, with the whitespace rules Hugging Face's
 * {@code apply_chat_template} compiles templates with: {@code trim_blocks} (the newline after a block or
 * comment tag goes), {@code lstrip_blocks} (spaces before a block or comment tag alone on its line go), the
 * {@code -} and {@code +} markers, newlines normalized to {@code \n} and one trailing newline of the template
 * dropped. Written after Jinja2's own lexer ({@code jinja2/lexer.py}), whose rules decide every case here.
 */
final class Lexer {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String value, int line) {
        boolean is(Kind k, String v) {
            return kind == k && value.equals(v);
        }

        boolean isName(String v) {
            return is(Kind.NAME, v);
        }

        boolean isOp(String v) {
            return is(Kind.OP, v);
        }
    }

    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~",
        "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    /** Whether the last thing consumed ended a line (Jinja's {@code line_starting}, which lstrip_blocks reads). */
    private boolean lineStarting = true;

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s; // keep_trailing_newline=False
    }

    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    /** Python's str.isspace(): the white space that rstrip() and the regex \s remove in Jinja's lexer. */
    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    private void run() {
        while (pos < src.length()) {
            int start = nextTag(pos);
            if (start < 0) {
                text(src.substring(pos));
                pos = src.length();
                break;
            }
            char kind = src.charAt(start + 1);
            char mark = start + 2 < src.length() ? src.charAt(start + 2) : 0;
            String text = src.substring(pos, start);
            if (mark == '-') {
                text = rstrip(text);
            } else if (mark != '+' && kind != '{') {
                int lineStart = text.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                        && allSpace(text, lineStart)) {
                    text = text.substring(0, lineStart);
                }
            }
            text(text);
            line += count(src, pos, start);
            pos = start + 2 + (mark == '-' || mark == '+' ? 1 : 0);
            switch (kind) {
                case '#' -> comment();
                case '%' -> tag(Kind.BLOCK_BEGIN, Kind.BLOCK_END, '%');
                default -> tag(Kind.VAR_BEGIN, Kind.VAR_END, '}');
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private int nextTag(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private void text(String text) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Kind.TEXT, text, line));
        }
    }

    private void comment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) {
            throw new TemplateError(line, "missing end of comment tag");
        }
        char before = end > pos ? src.charAt(end - 1) : 0;
        line += count(src, pos, end + 2);
        pos = end + 2;
        closeTag(before == '-', before == '+', true);
    }

    /** After a tag's closing delimiter: the {@code -} strip, or trim_blocks' one newline for block tags. */
    private void closeTag(boolean strip, boolean keep, boolean block) {
        int from = pos;
        if (strip) {
            while (pos < src.length() && isSpace(src.charAt(pos))) {
                pos++;
            }
        } else if (block && !keep && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        line += count(src, from, pos);
        lineStarting = pos > from && src.charAt(pos - 1) == '\n'; // the tag's match ended with a newline
    }

    private void tag(Kind begin, Kind end, char closer) {
        tokens.add(new Token(begin, "", line));
        int depth = 0;
        while (true) {
            while (pos < src.length() && isSpace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') {
                    line++;
                }
                pos++;
            }
            if (pos >= src.length()) {
                throw new TemplateError(line, "unclosed tag");
            }
            if (depth == 0) {
                if (src.startsWith("-" + closer + "}", pos)) {
                    pos += 3;
                    tokens.add(new Token(end, "", line));
                    closeTag(true, false, closer == '%');
                    return;
                }
                if (closer == '%' && src.startsWith("+%}", pos)) {
                    pos += 3;
                    tokens.add(new Token(end, "", line));
                    lineStarting = false;
                    return;
                }
                if (src.startsWith(closer + "}", pos)) {
                    pos += 2;
                    tokens.add(new Token(end, "", line));
                    closeTag(false, false, closer == '%');
                    return;
                }
            }
            char c = src.charAt(pos);
            if (Character.isDigit(c)) {
                number();
            } else if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Kind.NAME, src.substring(s, pos), line));
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                String op = operator();
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    if (depth == 0) {
                        throw new TemplateError(line, "unexpected '" + op + "'");
                    }
                    depth--;
                }
                tokens.add(new Token(Kind.OP, op, line));
            }
        }
    }

    private String operator() {
        for (String op : OPERATORS) {
            if (src.startsWith(op, pos)) {
                pos += op.length();
                return op;
            }
        }
        throw new TemplateError(line, "unexpected character '" + src.charAt(pos) + "'");
    }

    private void number() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int e = pos + 1;
            if (e < src.length() && (src.charAt(e) == '+' || src.charAt(e) == '-')) {
                e++;
            }
            if (e < src.length() && Character.isDigit(src.charAt(e))) {
                isFloat = true;
                pos = e;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            }
        }
        String text = src.substring(s, pos).replace("_", "");
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, text, line));
    }

    /** A string literal, unescaped as Python's unicode-escape codec does (Jinja's rule). */
    private void string(char quote) {
        int startLine = line;
        StringBuilder out = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) {
                throw new TemplateError(startLine, "unterminated string");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\n') {
                line++;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= src.length()) {
                throw new TemplateError(startLine, "unterminated string");
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'v' -> out.append('\u000B');
                case '\n' -> line++; // a backslash-newline continues the line
                case 'x' -> out.appendCodePoint(hex(2, startLine));
                case 'u' -> out.appendCodePoint(hex(4, startLine));
                case 'U' -> out.appendCodePoint(hex(8, startLine));
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '7'; k++) {
                            v = v * 8 + (src.charAt(pos++) - '0');
                        }
                        out.append((char) v);
                    } else if (e == 'N') {
                        throw new TemplateError(startLine, "\\N{...} escapes are not supported");
                    } else {
                        out.append('\\').append(e); // Python keeps unknown escapes as they are
                    }
                }
            }
        }
        tokens.add(new Token(Kind.STRING, out.toString(), startLine));
    }

    private int hex(int n, int startLine) {
        if (pos + n > src.length() || !src.substring(pos, pos + n).matches("[0-9A-Fa-f]+")) {
            throw new TemplateError(startLine, "truncated \\x, \\u or \\U escape");
        }
        int v = Integer.parseInt(src.substring(pos, pos + n), 16);
        pos += n;
        return v;
    }

    private static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static boolean allSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int count(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
