package rlhf4j.eval;

import java.util.List;
import rlhf4j.config.ConfigException;
import rlhf4j.eval.judge.Judge;
import rlhf4j.rollout.Rollout;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * A built-in judge as GRPO's reward ({@code grpo.reward: judge:NAME}): each rollout's decoded answer is scored on its
 * own against the prompt's last message (and its reference completion, for a judge that needs one).
 */
public final class JudgeReward implements RewardFunction {
    private final Judge judge;
    private final BpeTokenizer tokenizer;

    public JudgeReward(Judge judge, BpeTokenizer tokenizer) {
        this.judge = judge;
        this.tokenizer = tokenizer;
    }

    public Judge judge() {
        return judge;
    }

    @Override
    public double[] score(List<Rollout> rollouts) {
        double[] scores = new double[rollouts.size()];
        for (int i = 0; i < scores.length; i++) {
            Rollout r = rollouts.get(i);
            if (judge.needsReference() && r.reference() == null) {
                throw new ConfigException(CommandReward.KEY + ": judge:" + judge.name() + " needs a reference completion "
                        + "for every prompt, but the prompt '" + shorten(RolloutTexts.prompt(r)) + "' has none: give "
                        + "every prompt a completion in the GRPO prompt data or choose a judge that needs none");
            }
            scores[i] = judge.score(RolloutTexts.prompt(r), RolloutTexts.answer(tokenizer, r), r.reference());
        }
        return scores;
    }

    private static String shorten(String s) {
        String line = s.replace('\n', ' ');
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }
}
