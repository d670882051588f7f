package rlhf4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.tokenizer.Message;

/** The chat template's ids and loss mask, checked token by token on single- and multi-turn conversations. */
class ChatTemplateTest {
    private final BpeTokenizer tok = BpeTokenizer.byteLevel(SpecialTokens.DEFAULT);
    private final ChatTemplate template = ChatTemplate.of(tok);
    private final int start = tok.id(SpecialTokens.IM_START);
    private final int end = tok.id(SpecialTokens.IM_END);

    private int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    private int[] fill(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void singleTurnMasksOnlyTheAnswerAndItsEndOfTurn() {
        ChatTemplate.Rendered r = template.render(List.of(Message.user("Hi"), Message.assistant("Yo")));
        int[] expectedIds = concat(new int[] {start}, tok.encode("user\n"), tok.encode("Hi"), new int[] {end},
                tok.encode("\n"), new int[] {start}, tok.encode("assistant\n"), tok.encode("Yo"), new int[] {end},
                tok.encode("\n"));
        assertArrayEquals(expectedIds, r.ids());
        int prefix = 1 + 5 + 2 + 1 + 1 + 1 + 10;                   // everything up to the answer
        int[] expectedMask = concat(fill(prefix, 0), fill(2, 1), new int[] {1}, new int[] {0});
        assertArrayEquals(expectedMask, r.lossMask());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n",
                tok.decode(r.ids()));
    }

    @Test
    void multiTurnMasksEveryAssistantTurnAndNothingElse() {
        List<Message> conv = List.of(new Message("system", "Be brief."), Message.user("A?"), Message.assistant("B."),
                Message.user("C?"), Message.assistant("D."));
        ChatTemplate.Rendered r = template.render(conv);
        String text = tok.decode(r.ids());
        assertEquals(ChatTemplate.format(conv), text);
        StringBuilder trained = new StringBuilder();
        for (int i = 0; i < r.length(); i++) {
            if (r.lossMask()[i] == 1) {
                trained.append(tok.decode(new int[] {r.ids()[i]}));
            }
        }
        assertEquals("B.<|im_end|>D.<|im_end|>", trained.toString());
    }

    @Test
    void promptEndsWithTheAssistantHeader() {
        int[] ids = template.renderPrompt(List.of(Message.user("Fix: he go")));
        assertEquals("<|im_start|>user\nFix: he go<|im_end|>\n<|im_start|>assistant\n", tok.decode(ids));
        assertEquals(end, template.endOfTurn());
    }
}
