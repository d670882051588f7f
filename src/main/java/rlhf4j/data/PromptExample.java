package rlhf4j.data;

import java.nio.file.Path;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * One PPO / evaluation prompt: a conversation ending with a user message, and an optional reference completion
 * ({@code null} when the data has none) for evaluation; with the file and 1-based line it was read from.
 */
public record PromptExample(Path source, int line, List<Message> prompt, String reference) {
    public PromptExample {
        prompt = List.copyOf(prompt);
        if (prompt.isEmpty() || !prompt.get(prompt.size() - 1).role().equals(Message.USER)) {
            throw new IllegalArgumentException("a prompt must end with a user message");
        }
    }
}
