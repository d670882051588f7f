package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.tokenizer.Message;

/** The copy-the-input baseline, on hand-made prompts. */
class CopyBaselineTest {
    private static GenerationEval.Item item(String user, String reference) {
        return new GenerationEval.Item(List.of(Message.system("You fix grammar."), Message.user(user)), reference);
    }

    @Test
    void answersWithTheLastUserTurnMinusThePrefix() {
        CopyBaseline copy = new CopyBaseline("Fix: ");
        assertEquals(Optional.of("He go home."), copy.answer(item("Fix: He go home. ", "x").prompt()));
        assertEquals(Optional.empty(), copy.answer(item("Translate: He go home.", "x").prompt()));
        assertEquals(Optional.empty(), new CopyBaseline("").answer(item("Fix: a", "a").prompt()));
    }

    @Test
    void scoresTheCopiesAsModelAnswersAreScored() {
        CopyBaseline copy = new CopyBaseline("Fix: ");
        List<GenerationEval.Item> items = List.of(item("Fix: He goes home.", "He goes home."),
                item("Fix: He go home.", "He goes home."));
        CopyBaseline.Scores s = copy.score(items).orElseThrow();
        assertEquals(2, s.prompts());
        assertEquals(0.5, s.exactMatch(), 0.0);
        double expected = (100.0 + TextMetrics.chrF("He go home.", "He goes home.")) / 2;
        assertEquals(expected, s.chrF(), 1e-12);
        assertTrue(s.chrF() < 100 && s.chrF() > 50, "one word differs: " + s.chrF());
    }

    @Test
    void undefinedUnlessEveryPromptHasThePrefix() {
        CopyBaseline copy = new CopyBaseline("Fix: ");
        assertTrue(copy.score(List.of(item("Fix: a", "a"), item("Hello", "Hi"))).isEmpty());
        assertTrue(copy.score(List.of()).isEmpty());
    }
}
