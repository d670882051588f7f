package rlhf4j.data;

import java.nio.file.Path;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * One supervised fine-tuning example: a conversation (optionally opened by a system message) that ends with the
 * assistant message to learn, and the file and 1-based line it was read from.
 */
public record SftExample(Path source, int line, List<Message> messages) {
    public SftExample {
        messages = List.copyOf(messages);
        if (messages.isEmpty() || !messages.get(messages.size() - 1).role().equals(Message.ASSISTANT)) {
            throw new IllegalArgumentException("an SFT conversation must end with an assistant message");
        }
    }
}
