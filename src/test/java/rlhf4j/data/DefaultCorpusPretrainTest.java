package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code languagetool/pretrain.txt}, derived offline from a small pairs.jsonl and sentences.txt in a temporary
 * datasets root: it holds no sentence of the grammar test files (computed through {@link GrammarRows} on the same
 * inputs), keeps the train sentences, and is derived when missing.
 */
class DefaultCorpusPretrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clients NO_CLIENTS = new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j", "tar", null);
    private static final int PAIRS = 400;
    private static final int OTHER_SENTENCES = 600;
    /** Wrong sentences that LanguageTool also lists as correct examples of another rule. */
    private static final int WRONG_ALSO_CORRECT = 60;

    @TempDir
    Path root;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    private DefaultCorpus corpus;

    /** Pairs, and sentences holding every correction, some wrong sentences and unrelated correct sentences. */
    @BeforeEach
    void languageToolFiles() throws IOException {
        corpus = new DefaultCorpus(root, NO_CLIENTS, new PrintStream(progress, true, StandardCharsets.UTF_8));
        Files.createDirectories(corpus.languageToolDir());
        StringBuilder pairs = new StringBuilder();
        StringBuilder sentences = new StringBuilder();
        for (int i = 0; i < PAIRS; i++) {
            pairs.append(JSON.writeValueAsString(Map.of("wrong", wrong(i), "corrected", corrected(i),
                    "rule", "HE_GO", "source", "grammar.xml"))).append('\n');
            sentences.append(corrected(i)).append('\n');
            if (i < WRONG_ALSO_CORRECT) {
                sentences.append(wrong(i)).append('\n');
            }
        }
        for (int i = 0; i < OTHER_SENTENCES; i++) {
            sentences.append("She walks to park ").append(i).append(".\n");
        }
        Files.writeString(corpus.pairsFile(), pairs.toString());
        Files.writeString(corpus.sentencesFile(), sentences.toString());
    }

    private static String wrong(int i) {
        return "He go to school number " + i + ".";
    }

    private static String corrected(int i) {
        return "He goes to school number " + i + ".";
    }

    private List<String> pretrain() throws IOException {
        return Files.readAllLines(corpus.ensurePretrain(), StandardCharsets.UTF_8);
    }

    /** The grammar rows of the same inputs. */
    private GrammarRows rows() {
        return GrammarRows.build(GrammarDataset.readPairs(corpus.pairsFile()),
                GrammarDataset.readSentences(corpus.sentencesFile()));
    }

    /** Every sentence of the test files: prompt sources, completions, chosen and rejected answers. */
    private static Set<String> testSentences(GrammarRows rows) {
        Set<String> test = new HashSet<>();
        for (GrammarRows.SftRow row : concat(rows.sftTest(), rows.promptsTest())) {
            test.add(source(row.prompt()));
            test.add(row.completion());
        }
        for (GrammarRows.PreferenceRow row : rows.preferencesTest()) {
            test.add(source(row.prompt()));
            test.add(row.chosen());
            test.add(row.rejected());
        }
        return test;
    }

    /** The source sentences of the train rows: wrong sentences and unchanged examples. */
    private static Set<String> trainSources(GrammarRows rows) {
        Set<String> train = new HashSet<>();
        for (GrammarRows.SftRow row : rows.sft()) {
            if (row.split().equals(GrammarSplit.TRAIN)) {
                train.add(source(row.prompt()));
            }
        }
        return train;
    }

    private static String source(String prompt) {
        assertTrue(prompt.startsWith(GrammarDataset.PROMPT_PREFIX), prompt);
        return prompt.substring(GrammarDataset.PROMPT_PREFIX.length());
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void holdsNoSentenceOfAnyTestFile() throws IOException {
        GrammarRows rows = rows();
        assertFalse(rows.sftTest().isEmpty() || rows.preferencesTest().isEmpty(), "the fixture has test rows");
        assertTrue(rows.sftTest().stream().anyMatch(GrammarRows::isUnchanged), "and unchanged test rows");
        Set<String> test = testSentences(rows);
        assertTrue(GrammarDataset.readSentences(corpus.sentencesFile()).stream().anyMatch(test::contains),
                "sentences.txt itself holds test sentences");
        for (String s : pretrain()) {
            assertFalse(test.contains(s), "test sentence in pretrain.txt: " + s);
        }
    }

    @Test
    void keepsTrainSentencesInOrder() throws IOException {
        List<String> sentences = GrammarDataset.readSentences(corpus.sentencesFile());
        List<String> pretrain = pretrain();
        Set<String> train = trainSources(rows());
        List<String> expectedKept = sentences.stream().filter(train::contains).toList();
        assertTrue(expectedKept.size() > 50, "the fixture has train sentences: " + expectedKept.size());
        assertTrue(pretrain.containsAll(expectedKept));
        assertEquals(sentences.stream().filter(new HashSet<>(pretrain)::contains).toList(), pretrain,
                "pretrain.txt keeps the order of sentences.txt");
    }

    @Test
    void leavesOutTestSourcesAndCorrectionsOfTestWrongSentences() throws IOException {
        Set<String> pretrain = new HashSet<>(pretrain());
        for (int i = 0; i < PAIRS; i++) {
            boolean testPair = GrammarSplit.of(wrong(i)).equals(GrammarSplit.TEST);
            boolean testCorrection = GrammarSplit.of(corrected(i)).equals(GrammarSplit.TEST);
            assertEquals(!testPair && !testCorrection, pretrain.contains(corrected(i)), corrected(i));
            if (i < WRONG_ALSO_CORRECT) {
                assertEquals(!testPair, pretrain.contains(wrong(i)), wrong(i));
            }
        }
    }

    @Test
    void isDerivedWhenMissingWithOneProgressLineAndThenUsedAsIs() throws IOException {
        assertFalse(Files.exists(corpus.pretrainFile()));
        List<Path> paths = corpus.ensure(List.of(corpus.pretrainFile().toString()));
        assertEquals(List.of(corpus.pretrainFile()), paths);
        int removed = GrammarDataset.readSentences(corpus.sentencesFile()).size()
                - Files.readAllLines(corpus.pretrainFile()).size();
        assertTrue(removed > 0);
        assertEquals("wrote " + corpus.pretrainFile() + " from sentences.txt and pairs.jsonl without " + removed
                + " sentences of the grammar test split\n", progress.toString(StandardCharsets.UTF_8)
                .replace("\r\n", "\n"));

        Files.writeString(corpus.pretrainFile(), "Kept as it is.\n");
        progress.reset();
        corpus.ensure(List.of(corpus.pretrainFile().toString()));
        assertEquals("Kept as it is.\n", Files.readString(corpus.pretrainFile()));
        assertEquals("", progress.toString(StandardCharsets.UTF_8));
    }
}
