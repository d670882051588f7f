package rlhf4j.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import rlhf4j.tokenizer.Message;

/**
 * One reward-model comparison: a prompt conversation ending with a user message, the preferred ({@code chosen}) and
 * the dispreferred ({@code rejected}) assistant response to it, and an optional {@code margin} by which chosen
 * should win (0 when the data gives none); with the file and 1-based line it was read from.
 */
public record PreferenceExample(Path source, int line, List<Message> prompt, String chosen, String rejected,
                                double margin) {
    public PreferenceExample {
        prompt = List.copyOf(prompt);
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
        if (prompt.isEmpty() || !prompt.get(prompt.size() - 1).role().equals(Message.USER)) {
            throw new IllegalArgumentException("a preference prompt must end with a user message");
        }
    }
}
