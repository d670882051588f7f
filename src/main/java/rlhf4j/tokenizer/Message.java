package rlhf4j.tokenizer;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One turn of a conversation in the Hugging Face chat convention: {@code role} is {@code system}, {@code user} or
 * {@code assistant}; {@code content} is the text of the turn.
 */
public record Message(String role, String content) implements Serializable {
    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    /** The known roles, in the order error messages list them. */
    public static final List<String> ROLES = List.of(SYSTEM, USER, ASSISTANT);

    public Message {
        Objects.requireNonNull(content, "content");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("unknown role: " + role);
        }
    }

    public static Message system(String content) {
        return new Message(SYSTEM, content);
    }

    public static Message user(String content) {
        return new Message(USER, content);
    }

    public static Message assistant(String content) {
        return new Message(ASSISTANT, content);
    }

    /** A conversation as the data files write it: {@code [{"role": ..., "content": ...}, ...]}, keys in that order. */
    public static List<Map<String, String>> toJson(List<Message> messages) {
        return messages.stream().map(m -> {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("role", m.role());
            row.put("content", m.content());
            return row;
        }).toList();
    }
}
