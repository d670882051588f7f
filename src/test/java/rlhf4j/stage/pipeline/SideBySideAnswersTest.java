package rlhf4j.stage.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.CopyBaseline;
import rlhf4j.tokenizer.Message;

/** The report's side-by-side prompts include one that must come back unchanged. */
class SideBySideAnswersTest {
    private static PromptExample row(int line, String input, String reference) {
        return new PromptExample(Path.of("t.jsonl"), line, List.of(Message.user("Fix: " + input)), reference);
    }

    @Test
    void swapsTheLastRowForTheFirstUnchangedOne() {
        List<PromptExample> all = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            all.add(row(i, "He go " + i + ".", "He goes " + i + "."));
        }
        all.add(row(11, "It is fine.", "It is fine."));
        all.add(row(12, "So is this.", "So is this."));
        List<PromptExample> picked = SideBySideAnswers.pick(all, new CopyBaseline("Fix: "));
        assertEquals(SideBySideAnswers.PROMPTS, picked.size());
        assertEquals(List.of(1, 2, 3, 4, 5, 11), picked.stream().map(PromptExample::line).toList());
    }

    @Test
    void keepsTheFirstRowsWhenOneIsAlreadyUnchangedOrThereIsNone() {
        List<PromptExample> all = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            all.add(i == 3 ? row(i, "Fine.", "Fine.") : row(i, "He go " + i + ".", "He goes " + i + "."));
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6),
                SideBySideAnswers.pick(all, new CopyBaseline("Fix: ")).stream().map(PromptExample::line).toList());
        assertEquals(List.of(1, 2, 3, 4, 5, 6),
                SideBySideAnswers.pick(all, new CopyBaseline("")).stream().map(PromptExample::line).toList());
    }
}
