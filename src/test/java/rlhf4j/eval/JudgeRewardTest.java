package rlhf4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.eval.RewardRollouts.TOKENIZER;
import static rlhf4j.eval.RewardRollouts.rollout;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.config.ConfigException;
import rlhf4j.eval.judge.ChrFJudge;
import rlhf4j.eval.judge.Judge;

/**
 * A built-in judge as GRPO's reward: each rollout is scored on its own, on the last message's text and the answer
 * decoded without its end-of-turn token; a judge that needs references refuses a prompt without one.
 */
class JudgeRewardTest {
    /** Scores an answer by its length and remembers what it was shown. */
    private static final class Length implements Judge {
        final List<String> seen = new ArrayList<>();

        @Override
        public String name() {
            return "length";
        }

        @Override
        public boolean needsReference() {
            return false;
        }

        @Override
        public double score(String prompt, String answer, String reference) {
            seen.add(prompt + "|" + answer + "|" + reference);
            return answer.length();
        }
    }

    @Test
    void eachRolloutIsScoredOnItsDecodedAnswer() {
        Length judge = new Length();
        double[] scores = new JudgeReward(judge, TOKENIZER).score(List.of(
                rollout("Say hi", " hi there ", null), rollout("Say hi", "hello", null), rollout("Say no", "no", "nope")));
        assertArrayEquals(new double[] {8, 5, 2}, scores);
        assertEquals(List.of("Say hi|hi there|null", "Say hi|hello|null", "Say no|no|nope"), judge.seen);
    }

    @Test
    void aJudgeThatNeedsAReferenceRefusesAPromptWithout() {
        JudgeReward chrf = new JudgeReward(new ChrFJudge(), TOKENIZER);
        assertEquals(100.0, chrf.score(List.of(rollout("Say the word", "the word", "the word")))[0], 1e-9);
        ConfigException e = assertThrows(ConfigException.class, () -> chrf.score(List.of(
                rollout("Say the word", "the word", "the word"), rollout("Say it", "it", null))));
        assertTrue(e.getMessage().startsWith("grpo.reward: judge:chrf needs a reference completion for every prompt, ")
                && e.getMessage().contains("'Say it'"), e.getMessage());
    }
}
