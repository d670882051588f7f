package rlhf4j.data;

import java.nio.file.Path;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Reads PPO / evaluation prompts ({@code .jsonl} or {@code .csv}) in the TRL column conventions, one
 * {@link PromptExample} a row: {@code prompt} (a string, or a message list ending with a user message) and an
 * optional {@code completion} (a string, or a list holding one assistant message) kept as the reference.
 */
public final class PromptData {
    private PromptData() {
    }

    /** Every prompt of {@code file}, in file order; any bad row is a {@link DataException}. */
    public static List<PromptExample> read(Path file) {
        return JsonlCsvRows.read(file).stream().map(PromptData::example).toList();
    }

    private static PromptExample example(DataRow row) {
        List<Message> prompt = MessageColumns.prompt(row, "prompt");
        String reference = MessageColumns.optionalResponse(row, "completion");
        return new PromptExample(row.file(), row.line(), prompt, reference);
    }
}
