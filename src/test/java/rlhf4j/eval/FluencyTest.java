package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Repeated trigrams and distinct-2 on answers counted by hand. */
class FluencyTest {
    @Test
    void wordsAreLowercasedRunsOfLettersAndDigitsWithAnInnerApostrophe() {
        assertEquals(List.of("we", "can't", "stop", "in", "2021"), Fluency.words("We can't -- stop, in 2021!"));
    }

    @Test
    void repeatedTrigramsAreCountedWithinEachAnswer() {
        // "the freedom of the freedom of": trigrams the-freedom-of, freedom-of-the, of-the-freedom, the-freedom-of
        // (a repeat): 1 of 4. "a new day": 1 trigram, no repeat. "the freedom of" in a second answer is not a repeat.
        List<String> answers = List.of("the freedom of the freedom of", "a new day.", "The freedom of");
        assertEquals(1.0 / 6, Fluency.repeatedTrigramShare(answers), 1e-15);
        assertEquals(0.0, Fluency.repeatedTrigramShare(List.of("too short", "")), 0.0);
    }

    @Test
    void distinct2CountsBigramsAcrossAllAnswers() {
        // bigrams: we-will (x2), will-win, will-lose -> 4 bigrams, 3 distinct
        assertEquals(3.0 / 4, Fluency.distinct2(List.of("We will win.", "we will lose")), 1e-15);
        assertEquals(0.0, Fluency.distinct2(List.of("one")), 0.0);
    }
}
