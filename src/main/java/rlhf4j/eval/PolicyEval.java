package rlhf4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.judge.TextMetrics;
import rlhf4j.generate.Decoding;
import rlhf4j.model.Gpt;
import rlhf4j.rollout.PolicyPasses;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * How a policy answers held-out prompts: answers (greedy, beam search or sampled, a {@link Decoding}) scored by the
 * reward (mean normalised reward; NaN without one), their KL to the reference policy — Σ_t KL(π(·|s_t) ‖ π_ref(·|s_t)) of the temperature-scaled
 * next-token distributions along the answer, exact and never negative — their length, and, where the
 * prompts have references, exact match and chrF. The SFT policy against itself has KL 0.
 */
public final class PolicyEval {
    /** One answer. {@code exact}/{@code chrF} are meaningful only when the prompt has a reference. */
    public record Answer(PromptExample prompt, String output, double reward, double kl, int tokens, boolean stopped,
                         boolean exact, double chrF) {}

    /** Means over the answers ({@code exactMatch}/{@code chrF} NaN when no prompt has a reference). */
    public record Result(List<Answer> answers, double rewardMean, double kl, double exactMatch, double chrF,
                         double meanLength) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompts", answers.size());
            if (!Double.isNaN(rewardMean)) {                 // NaN: answered without a reward to score them
                m.put("reward_mean", rewardMean);
            }
            m.put("kl", kl);
            if (!Double.isNaN(exactMatch)) {
                m.put("exact_match", exactMatch);
                m.put("chrf", chrF);
            }
            m.put("mean_response_tokens", meanLength);
            return m;
        }
    }

    private PolicyEval() {}

    public static Result run(Gpt policy, Gpt reference, RewardFunction reward, BpeTokenizer tokenizer,
                             List<PromptExample> prompts, int batchSize, int maxNewTokens, Decoding decoding,
                             double temperature) {
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        List<Answer> answers = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += batchSize) {
            List<PromptExample> chunk = new ArrayList<>(prompts.subList(from, Math.min(prompts.size(), from + batchSize)));
            int real = chunk.size();
            while (chunk.size() < batchSize) {           // one graph shape: fill a short last batch with copies
                chunk.add(chunk.get(0));
            }
            List<Rollout> rollouts = generator.answer(policy, chunk, maxNewTokens, decoding);
            RolloutBatch batch = RolloutBatch.of(rollouts, policy.spec().blockSize(), generator.pad());
            // only the real answers are scored: the filler copies would be extra questions to a command reward
            double[] scores = reward == null ? nans(real) : reward.score(rollouts.subList(0, real));     // [real]
            double[] kl = RolloutMath.rowSums(PolicyPasses.exactKl(policy, reference, batch, temperature)); // [B]
            for (int i = 0; i < real; i++) {
                Rollout r = rollouts.get(i);
                String out = tokenizer.decode(r.response(), true).strip();
                String ref = r.reference();
                answers.add(new Answer(chunk.get(i), out, scores[i], kl[i], r.response().length, r.stopped(),
                        ref != null && TextMetrics.exactMatch(out, ref), ref == null ? Double.NaN : TextMetrics.chrF(out, ref)));
            }
        }
        List<Answer> withRef = answers.stream().filter(a -> a.prompt().reference() != null).toList();
        return new Result(answers,
                answers.stream().mapToDouble(Answer::reward).average().orElse(Double.NaN),
                answers.stream().mapToDouble(Answer::kl).average().orElse(Double.NaN),
                withRef.isEmpty() ? Double.NaN : withRef.stream().mapToDouble(a -> a.exact() ? 1 : 0).average().orElse(0),
                withRef.isEmpty() ? Double.NaN : withRef.stream().mapToDouble(Answer::chrF).average().orElse(0),
                answers.stream().mapToDouble(Answer::tokens).average().orElse(Double.NaN));
    }

    private static double[] nans(int n) {
        double[] x = new double[n];
        Arrays.fill(x, Double.NaN);
        return x;
    }
}
