package rlhf4j.eval.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.config.ConfigException;
import rlhf4j.data.Clients;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.io.DataException;

class JudgesTest {
    private static final Clients NO_CLIENTS = new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j", "tar", null);

    @TempDir
    Path root;

    private Lexicons lexicons() throws IOException {
        Files.createDirectories(root.resolve("lexicons/afinn-165"));
        Files.writeString(root.resolve("lexicons/afinn-165/afinn-165.tsv"), "great\t3\nhappy\t3\n");
        Files.createDirectories(root.resolve("lexicons/vader"));
        Files.writeString(root.resolve("lexicons/vader/vader_lexicon.txt"), "good\t1.9\t0.9\t[]\n");
        return new Lexicons(root.resolve("lexicons"), NO_CLIENTS, new PrintStream(OutputStream.nullOutputStream()));
    }

    @Test
    void judgesByName() throws IOException {
        Lexicons lexicons = lexicons();
        assertEquals(List.of("chrf", "sentiment", "vader"), Judges.NAMES);
        for (String name : Judges.NAMES) {
            assertEquals(name, Judges.create(name, lexicons, Set.of()).name());
        }
        Judge chrf = Judges.create("chrf", lexicons, null);
        assertTrue(chrf.needsReference());
        assertEquals(TextMetrics.chrF("a cat", "the cat"), chrf.score("p", "a cat", "the cat"));
        // great 3 + happy 3 - 1 for "zork", unknown to the known words
        assertEquals(5.0, Judges.create("sentiment", lexicons, Set.of("a", "great", "and", "happy", "nation"))
                .score("p", "a great and happy zork nation.", null));
        Judge vader = Judges.create("vader", lexicons, null);
        assertInstanceOf(VaderJudge.class, vader);
        assertEquals(1.9 / Math.sqrt(1.9 * 1.9 + 15), vader.score("p", "good", null), 1e-12);
    }

    @Test
    void unknownNameListsTheChoices() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Judges.create("gpt4", root, Set.of(), new PrintStream(OutputStream.nullOutputStream())));
        assertEquals("unknown judge 'gpt4'; choose one of chrf, sentiment, vader", e.getMessage());
    }

    @Test
    void knownWordsAreOneLowercaseWordPerLine() throws IOException {
        Path file = Files.writeString(root.resolve("words.txt"), "the\nnation\ndon't\r\nthe\n");
        assertEquals(Set.of("the", "nation", "don't"), Judges.knownWords(file));

        Path bad = Files.writeString(root.resolve("bad.txt"), "the\nNation\n");
        DataException e = assertThrows(DataException.class, () -> Judges.knownWords(bad));
        assertEquals(bad, e.file());
        assertEquals(2, e.line());
        assertEquals(3, assertThrows(DataException.class, () -> Judges.knownWords(
                Files.writeString(root.resolve("b2.txt"), "a\nb\ntwo words\n"))).line());
        assertEquals(2, assertThrows(DataException.class, () -> Judges.knownWords(
                Files.writeString(root.resolve("b3.txt"), "a\n\nb\n"))).line());
        assertThrows(DataException.class, () -> Judges.knownWords(root.resolve("missing.txt")));
    }
}
