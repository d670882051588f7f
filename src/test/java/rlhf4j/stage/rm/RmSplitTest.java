package rlhf4j.stage.rm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.SftExample;
import rlhf4j.stage.sft.SftExamples;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/** The reward model holds out prompts by the SFT stage's rule: with a larger fraction, a superset of SFT's. */
class RmSplitTest {
    @Test
    void promptSplitIsTheSftRule() {
        List<SftExample> rows = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            rows.add(new SftExample(Path.of("x.jsonl"), i + 1,
                    List.of(Message.user("Correct this sentence: case " + i), Message.assistant("ok " + i))));
        }
        ChatTemplate template = ChatTemplate.of(BpeTokenizer.byteLevel(SpecialTokens.DEFAULT));
        SftExamples sft = SftExamples.of(rows, template, 64, 0.05);
        int sftVal = 0;
        int rmVal = 0;
        for (SftExample row : rows) {
            List<Message> prompt = row.messages().subList(0, 1);
            boolean inSftVal = PromptSplit.isValidation(prompt, 0.05);
            sftVal += inSftVal ? 1 : 0;
            rmVal += PromptSplit.isValidation(prompt, 0.1) ? 1 : 0;
            assertTrue(!inSftVal || PromptSplit.isValidation(prompt, 0.1), "a prompt SFT held out stays held out");
        }
        assertEquals(sft.val().size(), sftVal);
        List<List<Message>> sftValPrompts = sft.valPrompts().stream().map(p -> p.prompt()).toList();
        for (SftExample row : rows) {
            List<Message> prompt = row.messages().subList(0, 1);
            assertEquals(sftValPrompts.contains(prompt), PromptSplit.isValidation(prompt, 0.05));
        }
        assertTrue(rmVal > sftVal && rmVal < 80, "about 10% held out: " + rmVal);
    }
}
