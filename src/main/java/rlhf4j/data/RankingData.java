package rlhf4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Reads reward-model comparison files ({@code .jsonl} or {@code .csv}), one {@link RankingExample} a row. A row
 * with a {@code responses} column is a ranking: {@code prompt} (string or message list), {@code responses} (a list
 * of K ≥ 2 strings, or of lists holding one assistant message) and exactly one of {@code ranking} (indices into
 * {@code responses}, best first, a permutation of all of them) or {@code scores} (one finite number per response,
 * higher is better; two equal scores give no pair). Any other row is a preference pair as {@link PreferenceData}
 * reads it (the K = 2 case), so pair files and ranking files, and files mixing both, stand in the same places. In
 * CSV the list columns hold JSON lists ({@code ["a", "b"]}, {@code [1, 0]}). Two responses with the same text give
 * no pair: a judgement between them says nothing.
 */
public final class RankingData {
    static final String RESPONSES = "responses";
    static final String RANKING = "ranking";
    static final String SCORES = "scores";
    /** Far more candidates than any labeler judges at once; bounds the pairs of one row (K(K−1)/2). */
    public static final int MAX_RESPONSES = 64;

    private RankingData() {
    }

    /** Every row of {@code file}, in file order; any bad or useless row is a {@link DataException}. */
    public static List<RankingExample> read(Path file) {
        return read(file, RowSkips.strict());
    }

    /** Every row of {@code file}; useless rows (no pair to learn from, an empty response) go to {@code skips}. */
    public static List<RankingExample> read(Path file, RowSkips skips) {
        return skips.keep(file, RankingData::example);
    }

    /** Every row of each file, in order. */
    public static List<RankingExample> read(List<Path> files, RowSkips skips) {
        List<RankingExample> all = new ArrayList<>();
        files.forEach(f -> all.addAll(read(f, skips)));
        return all;
    }

    private static RankingExample example(DataRow row) {
        if (!row.has(RESPONSES)) {
            return RankingExample.of(PreferenceData.example(row));
        }
        List<Message> prompt = MessageColumns.prompt(row, "prompt");
        List<String> responses = responses(row);
        boolean ranked = row.present(RANKING);
        boolean scored = row.present(SCORES);
        if (ranked == scored) {
            throw row.error(ranked ? "give either \"ranking\" or \"scores\", not both"
                    : "missing column \"ranking\" or \"scores\" (the labeler's judgement)");
        }
        List<RankingExample.Pair> pairs = ranked ? fromRanking(row, responses) : fromScores(row, responses);
        if (pairs.isEmpty()) {
            throw row.useless("no pair to learn from: every response is judged equal or has the same text");
        }
        return new RankingExample(row.file(), row.line(), prompt, responses, pairs);
    }

    private static List<String> responses(DataRow row) {
        JsonNode node = row.array(RESPONSES);
        if (node.size() < 2) {
            throw row.error("\"responses\" needs at least 2 responses, got " + node.size());
        }
        if (node.size() > MAX_RESPONSES) {
            throw row.error("\"responses\" has " + node.size() + " responses, more than the " + MAX_RESPONSES
                    + " a row may have");
        }
        List<String> out = new ArrayList<>(node.size());
        for (JsonNode item : node) {
            String where = "\"responses\" item " + (out.size() + 1);
            if (item.isTextual()) {
                out.add(MessageColumns.nonEmptyAnswer(row, where, item.textValue()));
            } else if (item.isArray() && item.size() == 1 && item.get(0).isObject()
                    && Message.ASSISTANT.equals(item.get(0).path("role").asText(null))
                    && item.get(0).path("content").isTextual()) {
                out.add(MessageColumns.nonEmptyAnswer(row, where, item.get(0).get("content").textValue()));
            } else {
                throw row.error(where + " must be a string or a list with one assistant message");
            }
        }
        return out;
    }

    private static List<RankingExample.Pair> fromRanking(DataRow row, List<String> responses) {
        JsonNode node = row.array(RANKING);
        int k = responses.size();
        if (node.size() != k) {
            throw row.error("\"ranking\" has " + node.size() + " entries for " + k + " responses (it orders all of them)");
        }
        int[] order = new int[k];
        boolean[] seen = new boolean[k];
        for (int i = 0; i < k; i++) {
            JsonNode item = node.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToInt()) {
                throw row.error("\"ranking\" entry " + (i + 1) + " must be an index into \"responses\", got " + item);
            }
            int index = item.intValue();
            if (index < 0 || index >= k) {
                throw row.error("\"ranking\" entry " + (i + 1) + ": index " + index + " is out of range (0.."
                        + (k - 1) + ")");
            }
            if (seen[index]) {
                throw row.error("\"ranking\" is not a permutation: index " + index + " appears twice");
            }
            seen[index] = true;
            order[i] = index;
        }
        List<RankingExample.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                if (!responses.get(order[i]).equals(responses.get(order[j]))) {
                    pairs.add(new RankingExample.Pair(order[i], order[j], 0));
                }
            }
        }
        return pairs;
    }

    private static List<RankingExample.Pair> fromScores(DataRow row, List<String> responses) {
        JsonNode node = row.array(SCORES);
        int k = responses.size();
        if (node.size() != k) {
            throw row.error("\"scores\" has " + node.size() + " entries for " + k + " responses (one each)");
        }
        double[] scores = new double[k];
        for (int i = 0; i < k; i++) {
            JsonNode item = node.get(i);
            if (!item.isNumber() || !Double.isFinite(item.doubleValue())) {
                throw row.error("\"scores\" entry " + (i + 1) + " must be a finite number, got " + item);
            }
            scores[i] = item.doubleValue();
        }
        List<RankingExample.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                if (scores[i] > scores[j] && !responses.get(i).equals(responses.get(j))) {
                    pairs.add(new RankingExample.Pair(i, j, 0));
                }
            }
        }
        return pairs;
    }
}
