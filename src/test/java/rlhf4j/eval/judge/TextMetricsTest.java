package rlhf4j.eval.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Exact match and chrF on cases worked out by hand, and chrF against sacreBLEU's sentence scores. */
class TextMetricsTest {
    @Test
    void exactMatchIgnoresSurroundingWhitespaceOnly() {
        assertTrue(TextMetrics.exactMatch(" He goes home.\n", "He goes home."));
        assertFalse(TextMetrics.exactMatch("he goes home.", "He goes home."));
        assertFalse(TextMetrics.exactMatch("He goes  home.", "He goes home."));
    }

    @Test
    void chrFByHand() {
        // "ab" against "abc": unigrams P = 2/2, R = 2/3; bigrams P = 1/1, R = 1/2; no trigram in the hypothesis,
        // so two orders count: P = 1, R = 7/12, F_2 = 5·P·R / (4·P + R) = (35/12) / (55/12) = 7/11
        assertEquals(100.0 * 7 / 11, TextMetrics.chrF("ab", "abc"), 1e-12);
        assertEquals(100.0, TextMetrics.chrF("He goes home.", "He goes home."), 1e-12);
        assertEquals(0.0, TextMetrics.chrF("abc", "xyz"), 0.0);
        assertEquals(100.0, TextMetrics.chrF("a b", "ab"), 1e-12, "whitespace is ignored");
        assertEquals(100.0, TextMetrics.chrF("", " "), 0.0, "two empty answers agree");
        assertEquals(0.0, TextMetrics.chrF("", "abc"), 0.0);
        assertEquals(0.0, TextMetrics.chrF("abc", ""), 0.0);
        // recall weighs more than precision (β = 2): a hypothesis missing half the reference scores below one with
        // twice the reference
        assertTrue(TextMetrics.chrF("abcd", "abcdefgh") < TextMetrics.chrF("abcdefghabcdefgh", "abcdefgh"));
    }

    /**
     * The values sacreBLEU's own tests expect (its {@code test/test_chrf.py}; character order 6, word order 0,
     * agreement within their 1e-4): single-sentence cases in both of its averagings at β = 3, and three
     * sentence-level scores at its default β = 2 with ε smoothing. The default averaging at β = 2 is what the
     * stages report.
     */
    @Test
    void chrFAgreesWithSacreBleusTestValues() {
        Object[][] effectiveOrder = {                                     // β = 3, eps_smoothing = False
            {"a", "a", 100.0}, {"", "reference", 0.0}, {"a b c", "a b c", 100.0}, {"a b c", "abc", 100.0},
            {"", "c", 0.0}, {"aa", "ab", 25.0}};
        for (Object[] c : effectiveOrder) {
            assertEquals((double) c[2], TextMetrics.chrF((String) c[0], (String) c[1], 3, false), 1e-4, c[0] + " | " + c[1]);
        }
        Object[][] smoothed = {                                           // β = 3, eps_smoothing = True
            {"abcdefg", "hijklmnop", 0.0}, {"a", "b", 0.0}, {"", "b", 0.0}, {"", "ref", 0.0}, {"", "reference", 0.0},
            {"aa", "ab", 8.3333}, {"a", "a", 16.6667}, {"a b c", "a b c", 50.0}, {"a b c", "abc", 50.0},
            {" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
                "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .",
                63.361730},
            {" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. ",
                "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 64.1302698},
            {"Niemand hat die Absicht, eine Mauer zu errichten", "Niemand hat die Absicht, eine Mauer zu errichten", 100.0}};
        for (Object[] c : smoothed) {
            assertEquals((double) c[2], TextMetrics.chrF((String) c[0], (String) c[1], 3, true), 1e-4, c[0] + " | " + c[1]);
        }
        Object[][] sentences = {                                          // sentence_chrf, β = 2, eps_smoothing = True
            {"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
                "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509},
            {"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
                "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079},
            {"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
                "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367}};
        for (Object[] c : sentences) {
            assertEquals((double) c[2], TextMetrics.chrF((String) c[0], (String) c[1], 2, true), 1e-4, (String) c[0]);
        }
        assertEquals(TextMetrics.chrF("He go home.", "He goes home."),
                TextMetrics.chrF("He go home.", "He goes home.", 2, false), 0.0, "the stages' chrF is the default averaging");
    }
}
