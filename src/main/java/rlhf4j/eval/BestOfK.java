package rlhf4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.SamplingParams;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutGenerator;
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

    /** The K answers sampled for one prompt, in the order drawn, and their reward-model scores [K]. */
    public record Candidates(List<String> answers, double[] rewards) {
        /** Best-of-n for n ≤ K: the highest-scored of the first n draws, itself a best-of-n sample. */
        public Choice best(int n) {
            if (n < 1 || n > answers.size()) {
                throw new IllegalArgumentException("best-of-" + n + " of " + answers.size() + " answers");
            }
            int best = 0;
            for (int i = 1; i < n; i++) {
                best = rewards[i] > rewards[best] ? i : best;
            }
            return new Choice(answers.get(best), rewards[best]);
        }
    }

    /**
     * The KL divergence of best-of-n from the policy it samples, log n − (n − 1)/n nats (Stiennon et al. 2020,
     * appendix; exact when the reward model ties no two answers), so best-of-n sits on a score-against-KL plot
     * without a forward pass.
     */
    public static double kl(int n) {
        return Math.log(n) - (n - 1.0) / n;
    }

    public static List<Choice> run(Gpt policy, RewardFunction reward, BpeTokenizer tokenizer, List<PromptExample> prompts,
                                   int k, int promptsPerBatch, int maxNewTokens, double temperature, long seed) {
        return sample(policy, reward, tokenizer, prompts, k, promptsPerBatch, maxNewTokens, temperature, seed).stream()
                .map(c -> c.best(k)).toList();
    }

    /** Each prompt answered K times and every answer scored by the reward model. */
    public static List<Candidates> sample(Gpt policy, RewardFunction reward, BpeTokenizer tokenizer,
                                          List<PromptExample> prompts, int k, int promptsPerBatch, int maxNewTokens,
                                          double temperature, long seed) {
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        SamplingParams params = new SamplingParams(temperature, 0, 1.0, maxNewTokens);
        List<Candidates> out = new ArrayList<>(prompts.size());
        for (int from = 0, batch = 0; from < prompts.size(); from += promptsPerBatch, batch++) {
            List<PromptExample> chunk = prompts.subList(from, Math.min(prompts.size(), from + promptsPerBatch));
            List<Rollout> rollouts = generator.generateEach(policy, chunk, k, params,
                    Seeds.bestOfK(seed, batch));
            double[] scores = reward.score(rollouts);                                            // [chunk * K]
            for (int p = 0; p < chunk.size(); p++) {
                List<String> answers = new ArrayList<>(k);
                for (int i = p * k; i < (p + 1) * k; i++) {
                    answers.add(tokenizer.decode(rollouts.get(i).response(), true).strip());
                }
                out.add(new Candidates(answers, Arrays.copyOfRange(scores, p * k, (p + 1) * k)));
            }
        }
        return out;
    }
}
