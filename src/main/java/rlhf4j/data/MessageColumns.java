package rlhf4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * Reads the TRL column types shared by the SFT, preference and prompt readers: non-empty strings, message lists
 * ({@code [{"role": ..., "content": ...}, ...]}, a system message only first), prompts (a string or a message list
 * ending with a user message), responses (a string or a list holding one assistant message) and numbers. Every
 * problem is a {@link DataException} at the row's line naming the column.
 */
final class MessageColumns {
    private MessageColumns() {
    }

    /** A required non-empty string column. */
    static String text(DataRow row, String column) {
        JsonNode node = row.require(column);
        if (!node.isTextual()) {
            throw row.error(quote(column) + " must be a string");
        }
        return nonEmpty(row, quote(column), node.textValue());
    }

    /** A required list of messages. */
    static List<Message> messages(DataRow row, String column) {
        return messages(row, column, row.require(column));
    }

    /** A required prompt: a string (one user message) or a message list; either way it ends with a user message. */
    static List<Message> prompt(DataRow row, String column) {
        JsonNode node = row.require(column);
        List<Message> prompt;
        if (node.isTextual()) {
            prompt = List.of(Message.user(nonEmpty(row, quote(column), node.textValue())));
        } else if (node.isArray()) {
            prompt = messages(row, column, node);
        } else {
            throw row.error(quote(column) + " must be a string or a list of messages");
        }
        requirePrompt(row, quote(column), prompt);
        return prompt;
    }

    /** A required response: a string, or (TRL conversational) a list holding exactly one assistant message. */
    static String response(DataRow row, String column) {
        return response(row, column, row.require(column));
    }

    /** An optional response, {@code null} when absent. */
    static String optionalResponse(DataRow row, String column) {
        JsonNode node = row.optional(column);
        return node == null ? null : response(row, column, node);
    }

    /** An optional finite number (a JSON number, or numeric text as CSV gives it), {@code absent} when missing. */
    static double number(DataRow row, String column, double absent) {
        JsonNode node = row.optional(column);
        if (node == null) {
            return absent;
        }
        double value = Double.NaN;
        if (node.isNumber()) {
            value = node.doubleValue();
        } else if (node.isTextual()) {
            try {
                value = Double.parseDouble(node.textValue().strip());
            } catch (NumberFormatException e) {
                value = Double.NaN;
            }
        }
        if (!Double.isFinite(value)) {
            throw row.error(quote(column) + " must be a finite number");
        }
        return value;
    }

    /** Checks that {@code prompt} (described by {@code what}) is non-empty and ends with a user message. */
    static void requirePrompt(DataRow row, String what, List<Message> prompt) {
        if (prompt.isEmpty()) {
            throw row.error(what + " has no prompt");
        }
        if (!last(prompt).role().equals(Message.USER)) {
            throw row.error(what + " must end with a user message");
        }
    }

    /** Checks that the conversation in {@code column} ends with an assistant message. */
    static void requireAssistantLast(DataRow row, String column, List<Message> messages) {
        if (!last(messages).role().equals(Message.ASSISTANT)) {
            throw row.error(quote(column) + " must end with an assistant message");
        }
    }

    /** The last message of a non-empty conversation. */
    static Message last(List<Message> messages) {
        return messages.get(messages.size() - 1);
    }

    /** Checks that {@code content} (of the thing {@code what} describes) is not empty or blank. */
    static String nonEmpty(DataRow row, String what, String content) {
        if (content.isBlank()) {
            throw row.error(what + ": empty content");
        }
        return content;
    }

    /**
     * An assistant's answer that is not blank. A blank one is well-formed but teaches nothing: the row is
     * useless rather than malformed ({@link RowSkips} skips it unless the data section is strict).
     */
    static String nonEmptyAnswer(DataRow row, String what, String content) {
        if (content.isBlank()) {
            throw row.useless(what + ": empty response");
        }
        return content;
    }

    static String quote(String column) {
        return "\"" + column + "\"";
    }

    private static String response(DataRow row, String column, JsonNode node) {
        if (node.isTextual()) {
            return nonEmptyAnswer(row, quote(column), node.textValue());
        }
        if (node.isArray()) {
            List<Message> messages = messages(row, column, node);
            if (messages.size() == 1 && messages.get(0).role().equals(Message.ASSISTANT)) {
                return messages.get(0).content();
            }
        }
        throw row.error(quote(column) + " must be a string or a list with one assistant message");
    }

    private static List<Message> messages(DataRow row, String column, JsonNode node) {
        if (!node.isArray()) {
            throw row.error(quote(column) + " must be a list of messages");
        }
        if (node.isEmpty()) {
            throw row.error(quote(column) + " is an empty list");
        }
        List<Message> messages = new ArrayList<>();
        for (JsonNode item : node) {
            String where = quote(column) + " message " + (messages.size() + 1);
            Message message = message(row, where, item);
            if (message.role().equals(Message.SYSTEM) && !messages.isEmpty()) {
                throw row.error(where + ": a system message must come first");
            }
            messages.add(message);
        }
        return messages;
    }

    private static Message message(DataRow row, String where, JsonNode item) {
        if (!item.isObject()) {
            throw row.error(where + " must be an object with \"role\" and \"content\"");
        }
        JsonNode role = item.get("role");
        JsonNode content = item.get("content");
        if (role == null || content == null) {
            throw row.error(where + ": missing " + (role == null ? "\"role\"" : "\"content\""));
        }
        if (!role.isTextual() || !Message.ROLES.contains(role.textValue())) {
            throw row.error(where + ": unknown role " + role + " (expected system, user or assistant)");
        }
        if (!content.isTextual()) {
            throw row.error(where + ": \"content\" must be a string");
        }
        return new Message(role.textValue(), Message.ASSISTANT.equals(role.textValue())
                ? nonEmptyAnswer(row, where, content.textValue()) : nonEmpty(row, where, content.textValue()));
    }
}
