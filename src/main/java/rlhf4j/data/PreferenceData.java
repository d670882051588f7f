package rlhf4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Reads reward-model preference data ({@code .jsonl} or {@code .csv}) in the TRL column conventions, one
 * {@link PreferenceExample} a row. Explicit prompt: {@code prompt} (string or message list) with {@code chosen} and
 * {@code rejected} (strings, or lists holding one assistant message). Implicit prompt: {@code chosen} and
 * {@code rejected} alone, each a full conversation (a message list, or an Anthropic HH transcript) whose turns
 * before the final assistant message are the shared prompt. Optional numeric {@code margin}, default 0. A null
 * (JSONL) or empty (CSV) {@code prompt} counts as absent.
 */
public final class PreferenceData {
    private static final String PROMPT = "prompt";
    private static final String CHOSEN = "chosen";
    private static final String REJECTED = "rejected";

    private PreferenceData() {
    }

    /** Every comparison of {@code file}, in file order; any bad or useless row is a {@link DataException}. */
    public static List<PreferenceExample> read(Path file) {
        return read(file, RowSkips.strict());
    }

    /** Every comparison of {@code file}; useless rows (identical sides, an empty response) go to {@code skips}. */
    public static List<PreferenceExample> read(Path file, RowSkips skips) {
        return skips.keep(file, PreferenceData::example);
    }

    /** The comparison of one pair row. */
    static PreferenceExample example(DataRow row) {
        PreferenceExample pair = row.present(PROMPT) ? explicit(row) : implicit(row);
        if (pair.chosen().equals(pair.rejected())) {
            throw row.useless("chosen and rejected are identical");
        }
        return pair;
    }

    private static PreferenceExample explicit(DataRow row) {
        List<Message> prompt = MessageColumns.prompt(row, PROMPT);
        return new PreferenceExample(row.file(), row.line(), prompt, MessageColumns.response(row, CHOSEN),
                MessageColumns.response(row, REJECTED), margin(row));
    }

    private static PreferenceExample implicit(DataRow row) {
        List<Message> chosen = conversation(row, CHOSEN);
        List<Message> rejected = conversation(row, REJECTED);
        List<Message> prompt = chosen.subList(0, chosen.size() - 1);
        if (!prompt.equals(rejected.subList(0, rejected.size() - 1))) {
            throw row.error("chosen and rejected do not share a prompt");
        }
        MessageColumns.requirePrompt(row, "the conversation in " + MessageColumns.quote(CHOSEN), prompt);
        return new PreferenceExample(row.file(), row.line(), prompt, MessageColumns.last(chosen).content(),
                MessageColumns.last(rejected).content(), margin(row));
    }

    /** A full conversation ending with an assistant message: a message list or an HH transcript string. */
    private static List<Message> conversation(DataRow row, String column) {
        JsonNode node = row.require(column);
        if (!node.isTextual() && !node.isArray()) {
            throw row.error(MessageColumns.quote(column) + " must be a string or a list of messages");
        }
        List<Message> messages = node.isTextual() ? HhTranscript.turns(row, column, node.textValue())
                : MessageColumns.messages(row, column);
        MessageColumns.requireAssistantLast(row, column, messages);
        return messages;
    }

    private static double margin(DataRow row) {
        return MessageColumns.number(row, "margin", 0.0);
    }
}
