package rlhf4j.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.tokenizer.Message;

/**
 * The "return the input unchanged" baseline of an editing task (grammar correction, rewriting): each prompt
 * is answered with its last user turn minus a fixed prefix ({@code eval.copy_prefix}), and scored against
 * the references exactly as a model's answers are. A model that edits worse than copying scores below it.
 * Defined only when every prompt's last user turn starts with the prefix.
 */
public final class CopyBaseline {
    /** The baseline's scores over a set of prompts. */
    public record Scores(int prompts, double exactMatch, double chrF) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompts", prompts);
            m.put("exact_match", exactMatch);
            m.put("chrf", chrF);
            return m;
        }
    }

    private final String prefix;

    public CopyBaseline(String prefix) {
        this.prefix = prefix;
    }

    /** The input the prompt asks to edit, or empty when the prompt does not start with the prefix. */
    public Optional<String> answer(List<Message> prompt) {
        if (prefix.isEmpty() || prompt.isEmpty()) {
            return Optional.empty();
        }
        String last = prompt.get(prompt.size() - 1).content();
        return last.startsWith(prefix) ? Optional.of(last.substring(prefix.length()).strip()) : Optional.empty();
    }

    /** Scores of the copied inputs against the items' references; empty unless every item has an input. */
    public Optional<Scores> score(List<GenerationEval.Item> items) {
        if (items.isEmpty()) {
            return Optional.empty();
        }
        double exact = 0;
        double chrF = 0;
        for (GenerationEval.Item item : items) {
            Optional<String> copy = answer(item.prompt());
            if (copy.isEmpty()) {
                return Optional.empty();
            }
            exact += TextMetrics.exactMatch(copy.get(), item.reference()) ? 1 : 0;
            chrF += TextMetrics.chrF(copy.get(), item.reference());
        }
        return Optional.of(new Scores(items.size(), exact / items.size(), chrF / items.size()));
    }
}
