package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import rlhf4j.data.GrammarRows.PreferenceRow;
import rlhf4j.data.GrammarRows.SftRow;

/** The pure build step: no files, no network. */
class GrammarRowsTest {
    private static final String P = GrammarDataset.PROMPT_PREFIX;

    private static List<LanguageToolExamples.Pair> pairs(int n) {
        List<LanguageToolExamples.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairs.add(new LanguageToolExamples.Pair("He go to school number " + i + ".",
                    "He goes to school number " + i + ".", "HE_GO"));
        }
        return pairs;
    }

    private static List<String> correct(int n) {
        List<String> correct = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            correct.add("She walks to park " + i + ".");
        }
        return correct;
    }

    private static String source(String prompt) {
        assertTrue(prompt.startsWith(P), prompt);
        return prompt.substring(P.length());
    }

    private static long unchangedRows(GrammarRows rows) {
        return rows.sft().stream().filter(GrammarRows::isUnchanged).count()
                + rows.sftTest().stream().filter(GrammarRows::isUnchanged).count();
    }

    @Test
    void everySourceSentenceHasOneSplitAcrossAllFilesAndAppearsOncePerFile() {
        GrammarRows rows = GrammarRows.build(pairs(1500), correct(1500));
        Map<String, String> splitOf = new HashMap<>();
        List<List<SftRow>> sftLike = List.of(rows.sft(), rows.sftTest(), rows.prompts(), rows.promptsTest());
        for (List<SftRow> file : sftLike) {
            Set<String> seen = new HashSet<>();
            for (SftRow r : file) {
                String s = source(r.prompt());
                assertTrue(seen.add(s), "duplicate in one file: " + s);
                assertEquals(GrammarDataset.split(s), r.split());
                String before = splitOf.putIfAbsent(s, r.split());
                assertTrue(before == null || before.equals(r.split()), s);
            }
        }
        for (List<PreferenceRow> file : List.of(rows.preferences(), rows.preferencesTest())) {
            Set<String> seen = new HashSet<>();
            for (PreferenceRow r : file) {
                String s = source(r.prompt());
                assertTrue(seen.add(s), "duplicate in one file: " + s);
                assertEquals(s, r.rejected());
                String before = splitOf.putIfAbsent(s, r.split());
                assertTrue(before == null || before.equals(r.split()), s);
            }
        }
        for (SftRow r : rows.sft()) {
            assertNotEquals("test", r.split());
        }
        for (SftRow r : rows.sftTest()) {
            assertEquals("test", r.split());
        }
        assertTrue(rows.preferences().stream().noneMatch(r -> r.split().equals("test")));
        assertTrue(rows.preferencesTest().stream().allMatch(r -> r.split().equals("test")));
        assertTrue(rows.prompts().stream().noneMatch(r -> r.split().equals("test")));
        assertTrue(rows.promptsTest().stream().allMatch(r -> r.split().equals("test")));
    }

    @Test
    void preferencesAndPromptsCoverThePairsOnly() {
        GrammarRows rows = GrammarRows.build(pairs(500), correct(500));
        assertEquals(500, rows.preferences().size() + rows.preferencesTest().size());
        assertEquals(500, rows.prompts().size() + rows.promptsTest().size());
        for (List<PreferenceRow> file : List.of(rows.preferences(), rows.preferencesTest())) {
            for (PreferenceRow r : file) {
                assertNotEquals(r.chosen(), r.rejected());
                assertEquals(P + r.rejected(), r.prompt());
                assertTrue(r.chosen().startsWith("He goes"), r.chosen());
            }
        }
        for (SftRow r : rows.prompts()) {
            assertTrue(r.completion().startsWith("He goes"), "reference completion is the correction");
            assertFalse(GrammarRows.isUnchanged(r));
        }
    }

    @Test
    void unchangedExamplesAreAbout15PercentOfSftRowsAndReturnTheSentence() {
        GrammarRows rows = GrammarRows.build(pairs(850), correct(1000));
        List<SftRow> all = new ArrayList<>(rows.sft());
        all.addAll(rows.sftTest());
        List<SftRow> unchanged = all.stream().filter(GrammarRows::isUnchanged).toList();
        assertEquals(1000, all.size(), "850 pairs + 150 unchanged");
        assertEquals(150, unchanged.size());
        for (SftRow r : unchanged) {
            assertEquals(r.completion(), source(r.prompt()));
            assertTrue(r.completion().startsWith("She walks"), r.completion());
        }
    }

    @Test
    void copyCurriculumHoldsTheOtherCorrectTrainingSentencesOnly() {
        List<String> correct = new ArrayList<>(correct(1000));
        correct.add("He goes to school number 3.");                 // a side of a pair: never copied
        GrammarRows rows = GrammarRows.build(pairs(850), correct);
        java.util.Set<String> unchanged = new java.util.HashSet<>();
        rows.sft().stream().filter(GrammarRows::isUnchanged).forEach(r -> unchanged.add(r.completion()));
        rows.sftTest().stream().filter(GrammarRows::isUnchanged).forEach(r -> unchanged.add(r.completion()));
        long trainCandidates = correct(1000).stream().filter(c -> !unchanged.contains(c))
                .filter(c -> GrammarSplit.of(c).equals(GrammarSplit.TRAIN)).count();
        assertEquals(trainCandidates, rows.copy().size());
        assertTrue(rows.copy().size() > 500, "most of the 850 sentences left are train: " + rows.copy().size());
        for (SftRow r : rows.copy()) {
            assertEquals(r.completion(), source(r.prompt()), "the answer is the input");
            assertEquals(GrammarSplit.TRAIN, r.split());
            assertEquals(GrammarSplit.TRAIN, GrammarSplit.of(r.completion()));
            assertFalse(unchanged.contains(r.completion()), "not also an unchanged example");
            assertTrue(r.completion().startsWith("She walks"), r.completion());
        }
    }

    @Test
    void unchangedExamplesAreCappedAndLimitedByCandidates() {
        assertEquals(10, unchangedRows(GrammarRows.build(pairs(850), correct(1000), 10)));
        assertEquals(3, unchangedRows(GrammarRows.build(pairs(850), correct(3))), "only 3 candidates");
        assertEquals(0, GrammarRows.unchangedCount(850, 0));
        assertEquals(150, GrammarRows.unchangedCount(850, 2000));
        assertEquals(2000, GrammarRows.unchangedCount(100_000, 2000));
    }

    @Test
    void duplicatesNoOpsAndSentencesThatArePairSidesAreDropped() {
        List<LanguageToolExamples.Pair> pairs = List.of(
                new LanguageToolExamples.Pair("Their is a cat.", "There is a cat.", "A"),
                new LanguageToolExamples.Pair("Their is a cat.", "They're is a cat.", "B"),
                new LanguageToolExamples.Pair("Same.", "Same.", "C"),
                new LanguageToolExamples.Pair(" ", "Blank.", "D"),
                new LanguageToolExamples.Pair("A apple.", "An apple.", "E"));
        List<String> correct = List.of("There is a cat.", "A apple.", "Fine sentence.", "Fine sentence.", "  ");
        GrammarRows rows = GrammarRows.build(pairs, correct);
        List<PreferenceRow> prefs = new ArrayList<>(rows.preferences());
        prefs.addAll(rows.preferencesTest());
        assertEquals(2, prefs.size());
        for (PreferenceRow r : prefs) {
            if (r.rejected().equals("Their is a cat.")) {
                assertEquals("There is a cat.", r.chosen(), "the first pair of a sentence wins");
            } else {
                assertEquals("A apple.", r.rejected());
            }
        }
        List<SftRow> sft = new ArrayList<>(rows.sft());
        sft.addAll(rows.sftTest());
        assertEquals(2, sft.size(), "round(2 * 15 / 85) = 0 unchanged rows");
        List<LanguageToolExamples.Pair> more = new ArrayList<>(pairs);
        more.addAll(pairs(100));
        GrammarRows mixed = GrammarRows.build(more, correct);
        List<SftRow> mixedSft = new ArrayList<>(mixed.sft());
        mixedSft.addAll(mixed.sftTest());
        assertEquals(List.of("Fine sentence."),
                mixedSft.stream().filter(GrammarRows::isUnchanged).map(SftRow::completion).toList(),
                "sentences that are a side of a pair never become unchanged examples");
    }

    @Test
    void sameInputSameRowsWhateverTheInputOrder() {
        List<LanguageToolExamples.Pair> pairs = pairs(400);
        List<String> correct = correct(400);
        GrammarRows first = GrammarRows.build(pairs, correct);
        assertEquals(first, GrammarRows.build(pairs, correct));
        List<LanguageToolExamples.Pair> shuffledPairs = new ArrayList<>(pairs);
        List<String> shuffledCorrect = new ArrayList<>(correct);
        Collections.shuffle(shuffledPairs, new Random(1));
        Collections.shuffle(shuffledCorrect, new Random(2));
        assertEquals(first, GrammarRows.build(shuffledPairs, shuffledCorrect));
    }

    @Test
    void trainRowsComeBeforeValRows() {
        GrammarRows rows = GrammarRows.build(pairs(500), correct(500));
        List<String> splits = rows.sft().stream().map(SftRow::split).toList();
        int firstVal = splits.indexOf("val");
        assertTrue(firstVal > 0);
        assertTrue(splits.subList(firstVal, splits.size()).stream().allMatch("val"::equals));
        assertTrue(splits.subList(0, firstVal).stream().allMatch("train"::equals));
    }
}
