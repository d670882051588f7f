package rlhf4j.stage.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.data.Message;
import rlhf4j.data.SftExample;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;

/**
 * Rows longer than the context: an answer cut short is kept (truncated), but a row whose prompt alone
 * fills the context has nothing left to learn and is dropped, counted and located (file:line).
 */
class SftExamplesTest {
    @Test
    void aPromptThatFillsTheContextIsDroppedAndLocated() {
        ChatTemplate template = new ChatTemplate(BpeTokenizer.byteLevel(SpecialTokens.DEFAULT));
        Path file = Path.of("data.jsonl");
        List<SftExample> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(new SftExample(file, i + 1, List.of(Message.user("Say " + i), Message.assistant("ok"))));
        }
        rows.add(new SftExample(file, 21, List.of(Message.user("x".repeat(100)), Message.assistant("ok"))));
        rows.add(new SftExample(file, 22, List.of(Message.user("Say it"), Message.assistant("y".repeat(100)))));
        rows.add(new SftExample(file, 23, List.of(Message.user("z".repeat(200)), Message.assistant("ok"))));

        SftExamples ex = SftExamples.of(rows, template, 40, 0.2);
        assertEquals(2, ex.dropped());
        assertEquals(21, ex.firstDropped().line());
        assertEquals(1, ex.truncated(), "the long answer is kept, cut");
        assertEquals(21, ex.train().size() + ex.val().size());
        for (ChatTemplate.Rendered r : ex.train()) {
            assertTrue(java.util.Arrays.stream(r.lossMask()).sum() > 0, "every kept row has answer tokens");
        }
        assertTrue(ex.droppedNote(40).contains("2 dropped") && ex.droppedNote(40).contains("data.jsonl:21"),
                ex.droppedNote(40));
        assertEquals("", SftExamples.of(rows.subList(0, 20), template, 40, 0.2).droppedNote(40));
    }
}
