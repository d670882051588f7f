package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import rlhf4j.io.AtomicFile;
import rlhf4j.io.AtomicFiles;

/**
 * Obtains the LanguageTool English rules jar through Maven (the local repository first, else
 * {@code mvn dependency:copy}) and turns the example sentences of its {@code grammar.xml} and {@code style.xml}
 * into {@code sentences.txt} (correct sentences, one a line, deduplicated, in file order) and {@code pairs.jsonl}
 * ({@code {"wrong", "corrected", "rule", "source"}} per line, deduplicated on wrong and corrected); then derives
 * {@code pretrain.txt} from those two: the sentences minus every sentence of the grammar test split
 * ({@link GrammarSplit}), so pretraining never sees a test sentence of the later stages.
 */
final class LanguageToolDownload {
    static final String GROUP = "org.languagetool";
    static final String ARTIFACT = "language-en";
    static final String VERSION = "6.6";
    static final String COORDINATES = GROUP + ":" + ARTIFACT + ":" + VERSION;
    static final String JAR_NAME = ARTIFACT + "-" + VERSION + ".jar";
    static final String RULES_DIR = "org/languagetool/rules/en/";
    static final List<String> RULE_FILES = List.of("grammar.xml", "style.xml");
    static final String ALTERNATIVE = "point pretrain.data.train at your own .txt files";

    /** One line of pairs.jsonl; Jackson writes record components in this order. */
    record PairLine(String wrong, String corrected, String rule, String source) {
    }

    /** What was written, for progress messages and tests: {@code heldOut} sentences were kept out of pretraining. */
    record Counts(int correct, int pairs, int heldOut) {
    }

    private LanguageToolDownload() {
    }

    /** Fills {@code dir} with the jar, {@code pairs.jsonl}, {@code sentences.txt} and, last, {@code pretrain.txt}. */
    static Counts fetch(Path dir, Path sentences, Path pairs, Path pretrain, Clients clients) {
        try {
            Files.createDirectories(dir);
            Path jar = dir.resolve(JAR_NAME);
            if (!Files.isRegularFile(jar)) {
                obtainJar(jar, clients);
            }
            return writeExamples(jar, sentences, pairs, pretrain);
        } catch (IOException e) {
            throw new FetchException("cannot store " + COORDINATES + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void obtainJar(Path target, Clients clients) throws IOException {
        Path cached = clients.mavenRepository().resolve(GROUP.replace('.', '/')).resolve(ARTIFACT)
                .resolve(VERSION).resolve(JAR_NAME);
        if (Files.isRegularFile(cached)) {
            AtomicFile.copy(cached, target);
            return;
        }
        Path work = Files.createTempDirectory("rlhf4j-languagetool-");
        try {
            Path out = work.resolve("out");
            List<String> argv = new ArrayList<>(List.of(clients.mvn(), "-q", "-B", "dependency:copy",
                    "-Dartifact=" + COORDINATES, "-DoutputDirectory=" + out, "-Dtransitive=false"));
            if (clients.mavenRepoLocal() != null) {
                argv.add("-Dmaven.repo.local=" + clients.mavenRepoLocal().toAbsolutePath());
            }
            new Command("mvn dependency:copy " + COORDINATES, argv, Clients.MVN_HINT, ALTERNATIVE).run(work);
            Path fetched = out.resolve(JAR_NAME);
            if (!Files.isRegularFile(fetched)) {
                throw new FetchException("mvn dependency:copy of " + COORDINATES + " left no " + JAR_NAME + "; "
                        + ALTERNATIVE);
            }
            AtomicFile.copy(fetched, target);
        } finally {
            AtomicFiles.deleteTree(work);
        }
    }

    /** Parses the rule files in {@code jar} and writes the three outputs atomically: pairs, sentences, pretrain. */
    static Counts writeExamples(Path jar, Path sentences, Path pairs, Path pretrain) throws IOException {
        Set<String> correct = new LinkedHashSet<>();
        Set<List<String>> seen = new HashSet<>();
        StringBuilder jsonl = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String file : RULE_FILES) {
                ZipEntry entry = zip.getEntry(RULES_DIR + file);
                if (entry == null) {
                    throw new FetchException(jar + " lacks " + RULES_DIR + file + ": delete it and run again");
                }
                LanguageToolExamples examples;
                try (InputStream in = zip.getInputStream(entry)) {
                    examples = LanguageToolExamples.parse(in, jar + "!/" + RULES_DIR + file);
                }
                correct.addAll(examples.correct());
                for (LanguageToolExamples.Pair p : examples.pairs()) {
                    if (seen.add(List.of(p.wrong(), p.corrected()))) {
                        jsonl.append(line(json, new PairLine(p.wrong(), p.corrected(), p.ruleId(), file)));
                    }
                }
            }
        } catch (ZipException e) {
            throw new FetchException(jar + " is not a readable jar (" + e.getMessage() + "): delete it and run again",
                    e);
        }
        AtomicFile.writeString(pairs, jsonl.toString());
        AtomicFile.writeString(sentences, lines(correct));
        return new Counts(correct.size(), seen.size(), writePretrain(sentences, pairs, pretrain));
    }

    /**
     * Writes {@code pretrain} atomically from existing {@code sentences} and {@code pairs} files: the sentences, in
     * order, minus every sentence the grammar data set could put in a test file. Those are the test-split sources
     * (wrong sentences and unchanged examples, each split by its own text) and the corrections of test-split
     * wrong sentences.
     *
     * @return how many sentences were left out
     * @throws DataException when either input is malformed
     */
    static int writePretrain(Path sentences, Path pairs, Path pretrain) throws IOException {
        List<String> all = GrammarDataset.readSentences(sentences);
        Set<String> testCorrections = correctionsOfTestSources(GrammarDataset.readPairs(pairs));
        List<String> kept = all.stream().filter(s -> !isTestSource(s) && !testCorrections.contains(s)).toList();
        AtomicFile.writeString(pretrain, lines(kept));
        return all.size() - kept.size();
    }

    /** The corrected side of every pair whose wrong sentence is in the test split. */
    static Set<String> correctionsOfTestSources(List<LanguageToolExamples.Pair> pairs) {
        Set<String> corrections = new HashSet<>();
        for (LanguageToolExamples.Pair p : pairs) {
            if (isTestSource(p.wrong())) {
                corrections.add(p.corrected());
            }
        }
        return corrections;
    }

    /** Whether {@link GrammarSplit} puts {@code sentence}, as a source sentence, in the test split. */
    private static boolean isTestSource(String sentence) {
        return GrammarSplit.TEST.equals(GrammarSplit.of(sentence));
    }

    /** One sentence a line, each line ended. */
    private static String lines(Collection<String> sentences) {
        return String.join("\n", sentences) + "\n";
    }

    private static String line(ObjectMapper json, PairLine pair) {
        try {
            return json.writeValueAsString(pair) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + pair, e);
        }
    }
}
