package rlhf4j.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.judge.Judge;
import rlhf4j.generate.Decoding;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.Evaluation;

/**
 * The held-out evaluation of an RL stage (PPO, GRPO) along training: the policy answers fixed held-out prompts
 * (decoded as {@code eval} says) and the answers' reward, KL to the reference, length, exact match and chrF where
 * there are references, and every reference-free judge's mean score become the {@code val_*} columns; the first few
 * answers are the samples.
 */
public final class HeldOutAnswers implements Evaluation {
    private static final int SAMPLES_SHOWN = 4;

    /** The models and how they answer; {@code temperature} is that of the distributions the KL is measured between. */
    public record Setup(Gpt policy, Gpt reference, RewardFunction reward, BpeTokenizer tokenizer, int batchSize,
                        int maxNewTokens, Decoding decoding, double temperature) {}

    private final Setup s;
    private final List<PromptExample> prompts;
    private final List<Judge> judges;
    private PolicyEval.Result last;
    private int lastStep = -1;

    public HeldOutAnswers(Setup setup, List<PromptExample> prompts, List<Judge> judges) {
        this.s = setup;
        this.prompts = List.copyOf(prompts);
        this.judges = List.copyOf(judges);
    }

    private PolicyEval.Result at(int step) {
        if (step != lastStep) {
            last = PolicyEval.run(s.policy(), s.reference(), s.reward(), s.tokenizer(), prompts, s.batchSize(),
                    s.maxNewTokens(), s.decoding(), s.temperature());
            lastStep = step;
        }
        return last;
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        PolicyEval.Result r = at(step);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_reward", r.rewardMean());
        m.put("val_kl", r.kl());
        if (!Double.isNaN(r.exactMatch())) {
            m.put("val_exact_match", r.exactMatch());
            m.put("val_chrf", r.chrF());
        }
        m.put("val_response_length", r.meanLength());
        for (Judge j : judges) {                        // chrf is val_chrf above; the others need no reference
            if (!j.needsReference()) {
                m.put("val_" + j.name(), r.answers().stream().mapToDouble(a -> j.score(
                        PolicyTestEval.promptText(a.prompt()), a.output(), a.prompt().reference()))
                        .average().orElse(Double.NaN));
            }
        }
        return m;
    }

    @Override
    public List<String> samples(int step) {
        return at(step).answers().stream().limit(SAMPLES_SHOWN)
                .map(a -> PolicyTestEval.promptText(a.prompt()) + " → " + a.output()
                        + String.format("  [reward %+.2f, kl %.2f]", a.reward(), a.kl()))
                .toList();
    }
}
