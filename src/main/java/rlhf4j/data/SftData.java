package rlhf4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Reads supervised fine-tuning data ({@code .jsonl} or {@code .csv}) in the TRL column conventions, one
 * {@link SftExample} a row: {@code messages} (a conversation, optionally opened by a system message, ending with an
 * assistant message), or {@code prompt} + {@code completion}, either strings (one user and one assistant message)
 * or, TRL conversational, a prompt message list and a completion list holding one assistant message. A row whose
 * {@code messages} is null (JSONL) or empty (CSV) uses {@code prompt} and {@code completion}, so files holding both
 * shapes read row by row.
 */
public final class SftData {
    private static final String MESSAGES = "messages";
    private static final String PROMPT = "prompt";
    private static final String COMPLETION = "completion";

    private SftData() {
    }

    /** Every example of {@code file}, in file order; any bad or useless row is a {@link DataException}. */
    public static List<SftExample> read(Path file) {
        return read(file, RowSkips.strict());
    }

    /** Every example of {@code file}; useless rows (an empty answer) go to {@code skips}. */
    public static List<SftExample> read(Path file, RowSkips skips) {
        return skips.keep(file, SftData::example);
    }

    private static SftExample example(DataRow row) {
        List<Message> messages;
        if (row.present(MESSAGES) || row.has(MESSAGES) && !row.has(PROMPT)) {
            messages = MessageColumns.messages(row, MESSAGES);
            MessageColumns.requireAssistantLast(row, MESSAGES, messages);
        } else if (row.has(PROMPT)) {
            messages = new ArrayList<>(MessageColumns.prompt(row, PROMPT));
            messages.add(Message.assistant(MessageColumns.response(row, COMPLETION)));
        } else {
            throw row.missing("missing column \"messages\" (or \"prompt\" and \"completion\")");
        }
        return new SftExample(row.file(), row.line(), messages);
    }
}
