package rlhf4j.stage.label;

import java.util.List;
import rlhf4j.tokenizer.Message;

/**
 * One prompt to judge: its id in the label stage ({@code p000012}: the prompt's position in the stage's
 * prompt list), the conversation (ending with a user message), the K distinct candidate answers the SFT
 * model wrote, and the prompt's reference completion ({@code null} when the data has none).
 */
public record LabelTask(String id, List<Message> prompt, List<String> responses, String reference) {
    public LabelTask {
        prompt = List.copyOf(prompt);
        responses = List.copyOf(responses);
        if (responses.size() < 2) {
            throw new IllegalArgumentException("a label task needs at least two responses");
        }
    }

    /** The last user turn: what a person reads as "the prompt". */
    public String question() {
        return prompt.get(prompt.size() - 1).content();
    }
}
