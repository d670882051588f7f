package rlhf4j.eval.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import rlhf4j.data.Clients;

class VaderJudgeTest {
    // the real lexicon's means for these words (vader_lexicon.txt of vader-sentiment 1.1.3)
    private static final Map<String, Double> LEXICON = Map.of("good", 1.9, "bad", -2.5, "no", -1.2, "great", 3.1,
            "smart", 1.7, "handsome", 2.2, "funny", 1.9, "sux", -1.5, "lol", 1.8);
    private static final double EPS = 1e-9;

    private final VaderJudge judge = new VaderJudge(LEXICON);

    /** VADER's normalisation with α = 15. */
    private static double norm(double s) {
        return s / Math.sqrt(s * s + 15);
    }

    @Test
    void singleWordIsItsNormalisedMean() {
        assertEquals(norm(1.9), judge.compound("good"), EPS);
        assertEquals(norm(1.9), judge.compound("This is (good)."), EPS);
        assertEquals(norm(-2.5), judge.compound("Bad"), EPS);
        assertEquals(0.0, judge.compound(""), EPS);
        assertEquals(0.0, judge.compound("We must never forget!!!"), EPS); // no sentiment: no emphasis either
    }

    @Test
    void negationMultipliesByMinusPointSevenFour() {
        assertEquals(norm(-0.74 * 1.9), judge.compound("not good"), EPS);
        // really, two back: +0.293 × 0.95; isn't, three back: × -0.74
        assertEquals(norm(-0.74 * (1.9 + 0.293 * 0.95)), judge.compound("isn't really that good"), EPS);
        assertEquals(norm(-0.74 * 1.9), judge.compound("never, ever good"), EPS);
        // "no" before a lexicon word negates it instead of counting its own -1.2; alone it counts
        assertEquals(norm(-0.74 * 1.9), judge.compound("no good"), EPS);
        assertEquals(norm(-1.2), judge.compound("No."), EPS);
        // four tokens back is out of reach
        assertEquals(norm(1.9), judge.compound("not that it was good"), EPS);
    }

    @Test
    void boostersAddPointTwoNineThreeScaledByDistance() {
        assertEquals(norm(1.9 + 0.293), judge.compound("very good"), EPS);
        assertEquals(norm(1.9 + 0.293 + 0.293 * 0.95), judge.compound("very very good"), EPS);
        assertEquals(norm(1.9 + 0.293 * 0.9), judge.compound("extremely and truly good"), EPS);
        assertEquals(norm(1.9 - 0.293), judge.compound("slightly good"), EPS);
        // in the valence's direction: a booster makes a negative word more negative
        assertEquals(norm(-2.5 - 0.293), judge.compound("very bad"), EPS);
        // booster first, then the negation further back flips the sum
        assertEquals(norm(-0.74 * (1.9 + 0.293)), judge.compound("not very good"), EPS);
    }

    @Test
    void butHalvesWhatComesBeforeAndRaisesWhatComesAfter() {
        // good 1.9 × 0.5 + bad -2.5 × 1.5 = 0.95 - 3.75 = -2.8
        assertEquals(norm(0.95 - 3.75), judge.compound("The food was good but the service was bad"), EPS);
    }

    @Test
    void punctuationAddsEmphasisInTheSumsDirection() {
        assertEquals(norm(1.9 + 2 * 0.292), judge.compound("good!!"), EPS);
        assertEquals(norm(1.9 + 4 * 0.292), judge.compound("good!!!!!!"), EPS);
        assertEquals(norm(-2.5 - 2 * 0.292), judge.compound("bad!!"), EPS);
        assertEquals(norm(1.9), judge.compound("good?"), EPS);
        assertEquals(norm(1.9 + 2 * 0.18), judge.compound("good??"), EPS);
        assertEquals(norm(1.9 + 0.96), judge.compound("good????"), EPS);
    }

    @Test
    void capitalsAddEmphasisOnlyWhenTheTextMixesCase() {
        assertEquals(norm(1.9 + 0.733), judge.compound("GOOD food"), EPS);
        assertEquals(norm(1.9), judge.compound("GOOD"), EPS);
        assertEquals(norm(1.9), judge.compound("GOOD FOOD"), EPS);
    }

    @Test
    void compoundStaysWithinMinusOneAndOne() {
        double high = judge.compound("great great great great great great great great great great!!!!");
        assertEquals(norm(10 * 3.1 + 4 * 0.292), high, EPS);
        assertTrue(high > 0.99 && high < 1);
        double low = judge.compound("bad bad bad bad bad bad bad bad bad bad");
        assertEquals(norm(-25), low, EPS); // -25 / sqrt(640) = -0.988
        assertTrue(low > -1);
    }

    @Test
    void tokensDropPunctuationAndSingleCharacters() {
        assertEquals(List.of("We", "can't", "go", "on"), VaderJudge.tokens("  \"We can't - go, on!\" a I"));
    }

    /** The examples of VADER's own README, with the real means of the words they use. */
    @Test
    void publishedExamples() {
        assertEquals(0.4404, judge.compound("The book was good."), 5e-5);
        assertEquals(0.8316, judge.compound("VADER is smart, handsome, and funny."), 5e-5);
        assertEquals(0.8439, judge.compound("VADER is smart, handsome, and funny!"), 5e-5);
        assertEquals(0.8545, judge.compound("VADER is very smart, handsome, and funny."), 5e-5);
        assertEquals(0.9227, judge.compound("VADER is VERY SMART, handsome, and FUNNY."), 5e-5);
        assertEquals(-0.7424, judge.compound("VADER is not smart, handsome, nor funny."), 5e-5);
        assertEquals(-0.5461, judge.compound("Today SUX!"), 5e-5);
        assertEquals(0.5249, judge.compound("Today only kinda sux! But I'll get by, lol"), 5e-5);
    }

    @Test
    void realLexiconWhenPresent() {
        Path datasets = Path.of("datasets");
        Assumptions.assumeTrue(Files.isRegularFile(datasets.resolve("lexicons/vader/vader_lexicon.txt")),
                "datasets/lexicons/vader is not fetched");
        VaderJudge real = new VaderJudge(new Lexicons(datasets.resolve("lexicons"), new Clients("no-such-npm-rlhf4j", "no-such-mvn",
                "tar", null), new PrintStream(OutputStream.nullOutputStream())).vader());
        assertEquals(0.8316, real.compound("VADER is smart, handsome, and funny."), 5e-5);
        assertEquals(-0.7424, real.compound("VADER is not smart, handsome, nor funny."), 5e-5);
        assertEquals(0.5249, real.compound("Today only kinda sux! But I'll get by, lol"), 5e-5);
        // values the npm package's own analyzer gives for the same sentences
        assertEquals(0.2589, real.compound("We must never forget the courage and kindness of our people."), 5e-5);
        assertEquals(-0.4432, real.compound("It was not a very good movie at all!"), 5e-5);
        assertEquals(-0.7042, real.compound(
                "The plot was good, but the characters are uncompelling and the dialog is not great."), 5e-5);
        assertEquals(0.5279, real.compound("We are hardly happy with the results."), 5e-5);
    }

    @Test
    void nameAndReference() {
        assertEquals("vader", judge.name());
        assertFalse(judge.needsReference());
        assertEquals(judge.compound("good!"), judge.score("Continue: It was a", "good!", null), 0);
    }
}
