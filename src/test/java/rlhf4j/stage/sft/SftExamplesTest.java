package rlhf4j.stage.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.data.RowSkips;
import rlhf4j.data.SftExample;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/** Rows of sft.data.train_extra always train: the validation split is the main file's alone. */
class SftExamplesTest {
    private static List<SftExample> rows(String file, int n) {
        List<SftExample> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(new SftExample(Path.of(file), i + 1, List.of(Message.user("Fix: " + file + " " + i),
                    Message.assistant("ok " + i))));
        }
        return rows;
    }

    @Test
    void extraRowsNeverValidate() {
        ChatTemplate template = ChatTemplate.of(BpeTokenizer.byteLevel(SpecialTokens.DEFAULT));
        List<SftExample> main = rows("main", 200);
        List<SftExample> extra = rows("extra", 300);
        SftExamples alone = SftExamples.of(main, template, 256, 0.3);
        SftExamples both = SftExamples.of(main, extra, template, 256, 0.3, RowSkips.strict());
        assertTrue(alone.val().size() > 20 && alone.val().size() < 100, "about 30% of 200: " + alone.val().size());
        assertEquals(alone.valPrompts(), both.valPrompts(), "the same validation prompts with or without extra rows");
        assertEquals(alone.train().size() + 300, both.train().size());
        assertTrue(both.valPrompts().stream().noneMatch(p -> p.prompt().get(0).content().startsWith("Fix: extra")));
    }
}
