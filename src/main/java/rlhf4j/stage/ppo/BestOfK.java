package rlhf4j.stage.ppo;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.Seeds;

/**
 * Best-of-K (rejection sampling), the baseline every RLHF paper sets PPO against: a policy samples K answers to
 * each prompt and the reward model picks the one it scores highest. It spends K times the generation and no
 * training; PPO should match it with one greedy answer. Each batch's sampling is drawn from a generator seeded by
 * (seed, batch index).
 */
public final class BestOfK {
    private BestOfK() {}

    /** The chosen answer of one prompt and the reward-model score that chose it. */
    public record Choice(String answer, double reward) {}

    public static List<Choice> run(Gpt policy, RewardFunction reward, BpeTokenizer tokenizer, List<PromptExample> prompts,
                                   int k, int promptsPerBatch, int maxNewTokens, double temperature, long seed) {
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        SamplingParams params = new SamplingParams(temperature, 0, 1.0, maxNewTokens);
        List<Choice> out = new ArrayList<>(prompts.size());
        for (int from = 0, batch = 0; from < prompts.size(); from += promptsPerBatch, batch++) {
            List<PromptExample> chunk = prompts.subList(from, Math.min(prompts.size(), from + promptsPerBatch));
            List<Rollout> rollouts = generator.generateEach(policy, chunk, k, params,
                    Seeds.bestOfK(seed, batch));
            double[] scores = reward.score(rollouts);                                            // [chunk * K]
            for (int p = 0; p < chunk.size(); p++) {
                int best = p * k;
                for (int i = p * k + 1; i < (p + 1) * k; i++) {
                    best = scores[i] > scores[best] ? i : best;
                }
                out.add(new Choice(tokenizer.decode(rollouts.get(best).response(), true).strip(), scores[best]));
            }
        }
        return out;
    }
}
