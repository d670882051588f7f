package rlhf4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.io.DataException;

/**
 * The files under {@code grammar/}: a tiny pairs.jsonl and sentences.txt are written into a temporary datasets
 * root first, so {@link DefaultCorpus} finds the LanguageTool data present and fetches nothing.
 */
class GrammarDatasetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAIRS = 400;

    @TempDir
    Path root;

    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    @BeforeEach
    void languageToolFiles() throws IOException {
        Path lt = Files.createDirectories(root.resolve("languagetool"));
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < PAIRS; i++) {
            pairs.append(JSON.writeValueAsString(Map.of("wrong", "He go to school number " + i + ".",
                    "corrected", "He goes to school number " + i + ".", "rule", "HE_GO", "source", "grammar.xml")))
                    .append('\n');
        }
        Files.writeString(lt.resolve("pairs.jsonl"), pairs.toString());
        StringBuilder sentences = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sentences.append("She walks to park ").append(i).append(".\n");
        }
        Files.writeString(lt.resolve("sentences.txt"), sentences.toString());
    }

    private GrammarDataset.Result ensure() {
        return GrammarDataset.ensure(root, new PrintStream(progress, true, StandardCharsets.UTF_8));
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

    private static List<String> fields(JsonNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String source(JsonNode row) {
        String prompt = row.get("prompt").asText();
        assertTrue(prompt.startsWith(GrammarDataset.PROMPT_PREFIX), prompt);
        return prompt.substring(GrammarDataset.PROMPT_PREFIX.length());
    }

    @Test
    void writesAllFilesWithTheDocumentedFieldsAndCounts() throws IOException {
        GrammarDataset.Result r = ensure();
        assertTrue(r.built());
        assertEquals(root.resolve("grammar"), r.dir());
        assertEquals(List.of("sft.jsonl", "test.jsonl", "preferences.jsonl", "preferences-test.jsonl",
                "prompts.jsonl", "prompts-test.jsonl", "copy.jsonl"),
                r.dataFiles().stream().map(p -> p.getFileName().toString()).toList());
        GrammarDataset.Counts c = r.counts();
        assertEquals(c.sft().train() + c.sft().val(), lines(r.sft()).size());
        assertEquals(c.sft().test(), lines(r.sftTest()).size());
        assertEquals(c.preferences().train() + c.preferences().val(), lines(r.preferences()).size());
        assertEquals(c.preferences().test(), lines(r.preferencesTest()).size());
        assertEquals(c.prompts().train() + c.prompts().val(), lines(r.prompts()).size());
        assertEquals(c.prompts().test(), lines(r.promptsTest()).size());
        assertEquals(PAIRS, c.preferences().total());
        assertEquals(PAIRS, c.prompts().total());
        assertEquals(Math.round(PAIRS * 15 / 85.0), c.unchanged().total());
        assertEquals(PAIRS + c.unchanged().total(), c.sft().total());

        for (Path file : List.of(r.sft(), r.sftTest(), r.prompts(), r.promptsTest())) {
            for (JsonNode row : lines(file)) {
                assertEquals(List.of("prompt", "completion", "split"), fields(row), file.toString());
            }
        }
        for (Path file : List.of(r.preferences(), r.preferencesTest())) {
            for (JsonNode row : lines(file)) {
                assertEquals(List.of("prompt", "chosen", "rejected", "split"), fields(row), file.toString());
                assertNotEquals(row.get("chosen").asText(), row.get("rejected").asText());
                assertEquals(source(row), row.get("rejected").asText());
            }
        }
        String line = progress();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("built grammar data set in " + r.dir() + ": sft.jsonl "), line);
    }

    @Test
    void noSourceSentenceIsInTwoSplitsAcrossAllFiles() throws IOException {
        GrammarDataset.Result r = ensure();
        Map<String, String> splitOf = new HashMap<>();
        Map<Path, Boolean> isTestFile = new LinkedHashMap<>();
        isTestFile.put(r.sft(), false);
        isTestFile.put(r.sftTest(), true);
        isTestFile.put(r.preferences(), false);
        isTestFile.put(r.preferencesTest(), true);
        isTestFile.put(r.prompts(), false);
        isTestFile.put(r.promptsTest(), true);
        int unchanged = 0;
        for (Map.Entry<Path, Boolean> file : isTestFile.entrySet()) {
            Map<String, Boolean> once = new HashMap<>();
            for (JsonNode row : lines(file.getKey())) {
                String s = source(row);
                String split = row.get("split").asText();
                assertEquals(null, once.put(s, true), "twice in " + file.getKey() + ": " + s);
                assertEquals(GrammarDataset.split(s), split);
                assertEquals(file.getValue(), split.equals("test"), file.getKey() + ": " + split);
                String before = splitOf.putIfAbsent(s, split);
                assertTrue(before == null || before.equals(split), s);
                if (row.has("completion") && row.get("completion").asText().equals(s)) {
                    unchanged++;
                    assertTrue(s.startsWith("She walks"), "only correct sentences come back unchanged: " + s);
                }
            }
        }
        assertEquals(r.counts().unchanged().total(), unchanged);
    }

    @Test
    void manifestRecordsCountsRuleSourceAndLicence() throws IOException {
        GrammarDataset.Result r = ensure();
        JsonNode m = JSON.readTree(Files.readString(r.manifest()));
        GrammarDataset.Counts c = r.counts();
        assertEquals(c.sft().train(), m.at("/files/sft.jsonl/train").asInt());
        assertEquals(c.sft().val(), m.at("/files/sft.jsonl/val").asInt());
        assertEquals(c.sft().test(), m.at("/files/test.jsonl/test").asInt());
        assertEquals(c.preferences().test(), m.at("/files/preferences-test.jsonl/test").asInt());
        assertEquals(c.prompts().train(), m.at("/files/prompts.jsonl/train").asInt());
        assertEquals(c.unchanged().total(), m.at("/unchanged_examples/train").asInt()
                + m.at("/unchanged_examples/val").asInt() + m.at("/unchanged_examples/test").asInt());
        assertEquals("org.languagetool:language-en:6.6", m.at("/source/package").asText());
        assertEquals("LGPL-2.1", m.at("/source/licence").asText());
        assertEquals(80, m.at("/split/train_below").asInt());
        assertEquals(90, m.at("/split/val_below").asInt());
        assertTrue(m.at("/split/rule").asText().startsWith("SHA-256"));
        assertEquals(List.of(), leftovers(), "no temporary files remain");
    }

    @Test
    void secondEnsureRewritesNothing() throws IOException {
        GrammarDataset.Result first = ensure();
        Map<Path, FileTime> times = new HashMap<>();
        Map<Path, String> contents = new HashMap<>();
        List<Path> all = new ArrayList<>(first.dataFiles());
        all.add(first.manifest());
        for (Path p : all) {
            Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000_000_000L));
            times.put(p, Files.getLastModifiedTime(p));
            contents.put(p, Files.readString(p));
        }
        progress.reset();
        GrammarDataset.Result second = ensure();
        assertFalse(second.built());
        assertEquals(first.counts(), second.counts());
        assertEquals(first.dataFiles(), second.dataFiles());
        assertEquals("", progress());
        for (Path p : all) {
            assertEquals(times.get(p), Files.getLastModifiedTime(p), p.toString());
            assertEquals(contents.get(p), Files.readString(p), p.toString());
        }
    }

    @Test
    void aMissingFileOrABadManifestRebuildsTheSameContent() throws IOException {
        GrammarDataset.Result first = ensure();
        String sft = Files.readString(first.sft());
        String manifest = Files.readString(first.manifest());
        Files.delete(first.promptsTest());
        progress.reset();
        GrammarDataset.Result again = ensure();
        assertTrue(again.built());
        assertEquals(first.counts(), again.counts());
        assertTrue(Files.exists(first.promptsTest()));
        assertEquals(sft, Files.readString(first.sft()), "the build is deterministic");
        assertEquals(manifest, Files.readString(first.manifest()));

        Files.writeString(first.manifest(), "{\"files\": {}}");
        assertTrue(ensure().built(), "a manifest without counts does not count");
        Files.writeString(first.manifest(), "not json");
        assertTrue(ensure().built());
        assertFalse(ensure().built());
    }

    @Test
    void malformedPairsNameFileAndLine() throws IOException {
        Path pairs = root.resolve("languagetool/pairs.jsonl");
        Files.writeString(pairs, "{\"wrong\": \"A apple.\", \"corrected\": \"An apple.\"}\n{\"wrong\": \"x\"}\n");
        DataException e = assertThrows(DataException.class, this::ensure);
        assertEquals(pairs + ":2: missing string field \"corrected\"", e.getMessage());
        Files.writeString(pairs, "{\"wrong\": \"A apple.\", \"corrected\": \"An apple.\"}\n\n[1]\n");
        e = assertThrows(DataException.class, this::ensure);
        assertEquals(pairs + ":3: expected a JSON object", e.getMessage());
        Files.writeString(pairs, "{\"wrong\": \"Same.\", \"corrected\": \"Same.\"}\n");
        e = assertThrows(DataException.class, this::ensure);
        assertEquals(pairs + ": no usable (wrong, corrected) pair", e.getMessage());
        assertFalse(Files.exists(root.resolve("grammar/manifest.json")));
    }

    /** Hidden (temporary) files left in grammar/. */
    private List<String> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(root.resolve("grammar"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }
}
