package rlhf4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.tokenizer.Message;

/**
 * Splits an Anthropic HH transcript ({@code "\n\nHuman: ... \n\nAssistant: ..."}) into messages: each
 * {@code Human:} turn a user message and each {@code Assistant:} turn an assistant message, contents trimmed.
 * A turn marker is recognised at the start of the text or after a blank line.
 */
final class HhTranscript {
    private static final Pattern TURN = Pattern.compile("(?:\\A\\s*|\n\n)(Human|Assistant):");

    private HhTranscript() {
    }

    /** The turns of {@code text}, read from {@code column} of {@code row}. */
    static List<Message> turns(DataRow row, String column, String text) {
        Matcher m = TURN.matcher(text);
        List<Message> turns = new ArrayList<>();
        String role = null;
        int contentStart = 0;
        while (m.find()) {
            if (role == null) {
                if (!text.substring(0, m.start()).isBlank()) {
                    break;
                }
            } else {
                turns.add(turn(row, column, turns.size() + 1, role, text.substring(contentStart, m.start())));
            }
            role = m.group(1).equals("Human") ? Message.USER : Message.ASSISTANT;
            contentStart = m.end();
        }
        if (role == null) {
            throw row.error(MessageColumns.quote(column)
                    + " is neither a list of messages nor an Anthropic HH transcript (\\n\\nHuman: ... \\n\\nAssistant: ...)");
        }
        turns.add(turn(row, column, turns.size() + 1, role, text.substring(contentStart)));
        return turns;
    }

    private static Message turn(DataRow row, String column, int index, String role, String content) {
        String where = MessageColumns.quote(column) + " turn " + index;
        return new Message(role, Message.ASSISTANT.equals(role) ? MessageColumns.nonEmptyAnswer(row, where, content.strip())
                : MessageColumns.nonEmpty(row, where, content.strip()));
    }
}
