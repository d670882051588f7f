package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Oniguruma-to-Java regex translation: constructs whose meanings differ are rewritten or refused. */
class HfRegexTest {
    private static boolean matches(String onig, String text) {
        return HfRegex.compile(onig).matcher(text).matches();
    }

    @Test
    void rewritesWhatJavaReadsDifferently() {
        assertEquals("\\x0B", HfRegex.toJava("\\v"));                 // Java's \v is all vertical space
        assertEquals("a{0,3}", HfRegex.toJava("a{,3}"));               // Java has no {,n}
        assertEquals("\\{x\\}", HfRegex.toJava("{x}"));                // not a quantifier: literal braces
        assertEquals("[^\\n]", HfRegex.toJava("."));                   // Oniguruma's dot excludes only \n
        assertEquals("\\p{Nd}", HfRegex.toJava("\\d"));
        assertTrue(matches(".", "\r") && matches(".", "\u2028"));
        assertTrue(matches("\\v", "\u000B") && !matches("\\v", "\n"));
        assertTrue(matches("\\h+", "0aF") && !matches("\\h", " "));    // \h is a hex digit in Oniguruma
        assertTrue(matches("\\s", "\u0085") && !matches("\\s", "\u200B"));
        assertTrue(matches("[\\p{^L}]", "1") && !matches("\\p{^L}", "a"));
    }

    @Test
    void refusesWhatItCannotTranslateExactly() {
        for (String regex : new String[] {"\\w", "\\bx", "^a", "a$", "(?m)a", "(?i)a", "\\1", "[[:alpha:]]", "[a&&b]",
            "(?i:[a-z])", "(?i:\\p{L})", "(?i:ff)", "\\p{Greek}", "a{1,2}+", "\\Ax", "(a", "a)", "[ab"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfRegex.compile(regex),
                    regex);
            assertTrue(e.getMessage().contains(regex), e.getMessage());
        }
    }

    @Test
    void llamaRegexIsKeptAsWritten() {
        String llama = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        assertEquals(llama, HfRegex.toJava(llama));
        assertTrue((HfRegex.compile(llama).flags() & Pattern.UNICODE_CHARACTER_CLASS) != 0);
    }
}
