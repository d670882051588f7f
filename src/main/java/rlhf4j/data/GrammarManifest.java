package rlhf4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code manifest.json} of the grammar data set: rows per file and split, the unchanged examples among the SFT
 * rows, the split rule, how unchanged examples are chosen, and the source package with its licence. Its
 * {@code files} section is read back to skip a rebuild; anything unreadable there means "build again".
 */
final class GrammarManifest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GrammarManifest() {
    }

    /** The manifest text, pretty-printed, with a final newline. */
    static String toJson(GrammarDataset.Counts counts, int copyRows, int inputPairs, int inputSentences) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", GrammarDataset.DIR);
        root.put("description", "grammar correction: prompt = \"" + GrammarDataset.PROMPT_PREFIX
                + "\" + a sentence, completion = the corrected sentence (the sentence itself for unchanged "
                + "examples); preferences chosen = corrected, rejected = wrong");
        ObjectNode files = root.putObject("files");
        files.set(GrammarDataset.SFT, trainVal(counts.sft()));
        files.set(GrammarDataset.SFT_TEST, test(counts.sft()));
        files.set(GrammarDataset.PREFERENCES, trainVal(counts.preferences()));
        files.set(GrammarDataset.PREFERENCES_TEST, test(counts.preferences()));
        files.set(GrammarDataset.PROMPTS, trainVal(counts.prompts()));
        files.set(GrammarDataset.PROMPTS_TEST, test(counts.prompts()));
        files.putObject(GrammarDataset.COPY).put(GrammarSplit.TRAIN, copyRows);
        root.put("copy_curriculum", "copy.jsonl: every correct sentence of the train split that is no side of a "
                + "pair and no unchanged example, as prompt = prefix + sentence, completion = the sentence");
        ObjectNode unchanged = root.putObject(GrammarDataset.UNCHANGED_KEY);
        unchanged.put(GrammarSplit.TRAIN, counts.unchanged().train());
        unchanged.put(GrammarSplit.VAL, counts.unchanged().val());
        unchanged.put(GrammarSplit.TEST, counts.unchanged().test());
        root.put("prompt_prefix", GrammarDataset.PROMPT_PREFIX);
        ObjectNode split = root.putObject("split");
        split.put("rule", GrammarSplit.RULE);
        split.put("hash", "SHA-256");
        split.put("buckets", GrammarSplit.BUCKETS);
        split.put("train_below", GrammarSplit.TRAIN_BELOW);
        split.put("val_below", GrammarSplit.VAL_BELOW);
        ObjectNode selection = root.putObject("unchanged_selection");
        selection.put("percent_of_sft_rows", GrammarRows.UNCHANGED_PERCENT);
        selection.put("max", GrammarRows.DEFAULT_MAX_UNCHANGED);
        selection.put("rule", "the correct sentences with the lowest SHA-256 of \"" + GrammarRows.UNCHANGED_SALT
                + "\" + sentence (first 8 bytes, unsigned), excluding sentences that are a side of a pair");
        ObjectNode source = root.putObject("source");
        source.put("package", LanguageToolDownload.COORDINATES);
        source.put("client", "maven");
        source.put("licence", GrammarDataset.LICENCE);
        ObjectNode inputs = source.putObject("files");
        inputs.put("languagetool/pairs.jsonl", inputPairs);
        inputs.put("languagetool/sentences.txt", inputSentences);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the grammar manifest", e);
        }
    }

    /** The counts recorded in {@code manifest}, or empty when it is unreadable or incomplete. */
    static Optional<GrammarDataset.Counts> readCounts(Path manifest) {
        try {
            JsonNode root = JSON.readTree(Files.readString(manifest, StandardCharsets.UTF_8));
            JsonNode files = root == null ? null : root.get("files");
            JsonNode unchanged = root == null ? null : root.get(GrammarDataset.UNCHANGED_KEY);
            if (files == null || unchanged == null) {
                return Optional.empty();
            }
            return Optional.of(new GrammarDataset.Counts(
                    counts(files, GrammarDataset.SFT, GrammarDataset.SFT_TEST),
                    counts(files, GrammarDataset.PREFERENCES, GrammarDataset.PREFERENCES_TEST),
                    counts(files, GrammarDataset.PROMPTS, GrammarDataset.PROMPTS_TEST),
                    new GrammarDataset.SplitCounts(number(unchanged, GrammarSplit.TRAIN),
                            number(unchanged, GrammarSplit.VAL), number(unchanged, GrammarSplit.TEST))));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static ObjectNode trainVal(GrammarDataset.SplitCounts c) {
        ObjectNode node = JSON.createObjectNode();
        node.put(GrammarSplit.TRAIN, c.train());
        node.put(GrammarSplit.VAL, c.val());
        return node;
    }

    private static ObjectNode test(GrammarDataset.SplitCounts c) {
        ObjectNode node = JSON.createObjectNode();
        node.put(GrammarSplit.TEST, c.test());
        return node;
    }

    private static GrammarDataset.SplitCounts counts(JsonNode files, String main, String test) {
        JsonNode m = files.get(main);
        JsonNode t = files.get(test);
        if (m == null || t == null) {
            throw new IllegalArgumentException("manifest lacks " + main + " or " + test);
        }
        return new GrammarDataset.SplitCounts(number(m, GrammarSplit.TRAIN), number(m, GrammarSplit.VAL),
                number(t, GrammarSplit.TEST));
    }

    private static int number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 0) {
            throw new IllegalArgumentException("manifest lacks a count " + field);
        }
        return value.asInt();
    }
}
