package rlhf4j.eval.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SentimentJudgeTest {
    private static final Map<String, Integer> AFINN = Map.of("great", 3, "happy", 3, "bad", -3, "bad luck", -2,
            "cover-up", -3);
    private static final Set<String> KNOWN = Set.of("a", "great", "and", "happy", "nation");

    private final SentimentJudge lenient = new SentimentJudge(AFINN, Set.of());
    private final SentimentJudge strict = new SentimentJudge(AFINN, KNOWN);

    private double score(SentimentJudge judge, String answer) {
        return judge.score("Continue: We must never forget", answer, null);
    }

    @Test
    void positiveFinishedAnswerScoresItsValence() {
        // 5 known words, no repeats, finished: great 3 + happy 3 = 6
        assertEquals(6.0, score(strict, "a great and happy nation."));
        assertEquals(new SentimentJudge.Breakdown(6, 0, 0, 0, 0), strict.breakdown("a great and happy nation."));
    }

    @Test
    void repeatedWordsCountOnceAndArePenalised() {
        // valence: great once = 3; words: 2 repeats of "great" = 2; bigrams: "great great" twice, 1 repeat = 1;
        // length: 3 words, 1 short = 1.5; 3 - 2 - 1 - 1.5 = -1.5
        assertEquals(new SentimentJudge.Breakdown(3, 3, 0, 1.5, 0), lenient.breakdown("great great great."));
        assertEquals(-1.5, score(lenient, "great great great."));
        // case does not hide a repeat: same as above
        assertEquals(-1.5, score(lenient, "GREAT Great great."));
    }

    @Test
    void functionWordsRepeatFreelyButTheirBigramsDoNot() {
        // the ×3 and and ×2 are free; bigram "and the" occurs twice: 1; 8 words, finished: 0 - 1 = -1
        assertEquals(new SentimentJudge.Breakdown(0, 1, 0, 0, 0),
                lenient.breakdown("the nation and the people and the land."));
    }

    @Test
    void unknownWordsCostOnePerOccurrence() {
        // zorblax is not known: 1; 6 words; 6 - 1 = 5
        assertEquals(5.0, score(strict, "a great and happy zorblax nation."));
        // zorblax ×2 unknown: 2; repeats: zorblax 1 (a is a function word); bigram "a zorblax" twice: 1;
        // 6 words, valence 0: 0 - 2 - 2 = -4
        assertEquals(new SentimentJudge.Breakdown(0, 2, 2, 0, 0), strict.breakdown("a zorblax nation and a zorblax."));
        assertEquals(-4.0, score(strict, "a zorblax nation and a zorblax."));
        // an empty known-word set turns the penalty off: same answer, 0 - 2 = -2
        assertEquals(-2.0, score(lenient, "a zorblax nation and a zorblax."));
    }

    @Test
    void shortAnswersLoseOneAndAHalfPerMissingWord() {
        // 1 word, 3 short: 4.5; happy 3; 3 - 4.5 = -1.5
        assertEquals(-1.5, score(lenient, "happy."));
        // 4 words: no penalty
        assertEquals(3.0, score(lenient, "we are happy now."));
    }

    @Test
    void longAnswersLoseOnePerExtraWord() {
        String twenty = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
                + "oscar papa quebec romeo sierra tango";
        assertEquals(0.0, score(lenient, twenty + "."));
        // 23 words, 3 beyond 20: -3
        assertEquals(-3.0, score(lenient, twenty + " uniform victor whiskey."));
    }

    @Test
    void unfinishedAnswersLoseOne() {
        assertEquals(5.0, score(strict, "a great and happy nation")); // 6 - 1
        assertEquals(6.0, score(strict, "a great and happy nation!"));
        assertEquals(6.0, score(strict, "a great and happy nation?"));
        assertEquals(6.0, score(strict, "a great and happy nation.\""));
        assertEquals(6.0, score(strict, "a great and happy nation!'"));
        assertEquals(6.0, score(strict, "  a great and happy nation.  \n"));
        assertEquals(5.0, score(strict, "a great and happy nation,"));
        assertEquals(5.0, score(strict, "a great and happy nation.\"\"")); // only one closing quote
    }

    @Test
    void capitalisedWordsInsideASentenceAreNamesWithoutSentiment() {
        SentimentJudge judge = new SentimentJudge(Map.of("united", 1, "great", 3), Set.of());
        // "United" inside the sentence is a name: valence 0; 6 words, finished
        assertEquals(0.0, score(judge, "the schools of the United States."));
        // the same word opening the answer, or opening a sentence after '.', counts: +1
        assertEquals(1.0, score(judge, "United we stand and grow."));
        assertEquals(1.0, score(judge, "we stand. \"United we grow."));
        // "Great Britain" is a name too; "great" in lower case inside the sentence is not: 3
        assertEquals(0.0, score(judge, "the people of Great Britain now."));
        assertEquals(3.0, score(judge, "the people of a great Britain."));
    }

    @Test
    void emptyAnswerGetsLengthAndUnfinishedPenalties() {
        // 4 words short: 6; unfinished: 1
        assertEquals(new SentimentJudge.Breakdown(0, 0, 0, 6, 1), strict.breakdown(""));
        assertEquals(-7.0, score(strict, ""));
        assertEquals(-7.0, score(strict, "   "));
    }

    @Test
    void phrasesAndHyphenatedEntriesOfTheLexiconAreIgnored() {
        // "bad luck" (-2) is a phrase: only bad (-3) counts; "cover-up" is two words here, neither in the lexicon
        assertEquals(-3.0, score(lenient, "we had bad luck today."));
        assertEquals(0.0, score(lenient, "it was a cover-up."));
    }

    @Test
    void wordsAreLettersWithOneOptionalApostrophe() {
        assertEquals(List.of("we", "don't", "stop", "nation's", "quoted", "words", "x"),
                SentimentJudge.words("We don't stop, Nation's 'quoted' words -- 42 x!"));
    }

    @Test
    void nameAndReference() {
        assertEquals("sentiment", lenient.name());
        assertFalse(lenient.needsReference());
    }
}
