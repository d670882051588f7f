package rlhf4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.judge.Judge;
import rlhf4j.generate.Decoding;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutGenerator;

/**
 * {@code ./train eval --judge J [--against DIR]}: one policy, or two, answer the same prompts (decoded as given; a
 * sampled decoding draws the same random numbers for a prompt in both) and the judges score every answer: the
 * {@link GoldEval} of the pipeline's test evaluation, with win rates of the checkpoint against the other and the
 * repetition and diversity of each one's answers. Works on any checkpoint pair with one tokenizer.
 */
public final class JudgedComparison {
    private static final int BATCH = 32;

    /** A policy under the name the tables give it. */
    public record Contender(String name, Gpt model) {}

    /** The verdict and every system's answers, prompt by prompt. */
    public record Result(GoldEval gold, Map<String, List<String>> answers, Map<String, GoldEval.PerPrompt> scores) {}

    private JudgedComparison() {}

    /**
     * @param systems the policies, the first the baseline the others are compared with
     */
    public static Result run(List<Contender> systems, BpeTokenizer tokenizer, List<PromptExample> prompts,
                             List<Judge> judges, int maxNewTokens, Decoding decoding, long seed) {
        List<String> texts = prompts.stream().map(p -> p.prompt().get(p.prompt().size() - 1).content()).toList();
        List<String> refs = prompts.stream().map(PromptExample::reference).toList();
        Map<String, List<String>> answers = new LinkedHashMap<>();
        Map<String, GoldEval.PerPrompt> scores = new LinkedHashMap<>();
        Map<String, Map<String, Double>> figures = new LinkedHashMap<>();
        for (Contender s : systems) {
            List<String> a = answer(s.model(), tokenizer, prompts, maxNewTokens, decoding);
            answers.put(s.name(), a);
            scores.put(s.name(), GoldEval.PerPrompt.judged(judges, texts, a, refs));
            Map<String, Double> f = new LinkedHashMap<>();
            f.put("repeated_trigrams", Fluency.repeatedTrigramShare(a));
            f.put("distinct_2", Fluency.distinct2(a));
            figures.put(s.name(), f);
        }
        GoldEval gold = GoldEval.of(scores, judges.stream().map(Judge::name).toList(), systems.get(0).name(), figures,
                seed);
        return new Result(gold, answers, scores);
    }

    /** {@code model}'s answers to {@code prompts} in order, in batches of {@value #BATCH}, as PPO's evaluations make them. */
    static List<String> answer(Gpt model, BpeTokenizer tokenizer, List<PromptExample> prompts, int maxNewTokens,
                               Decoding decoding) {
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        List<String> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += BATCH) {
            for (Rollout r : generator.answer(model, prompts.subList(from, Math.min(prompts.size(), from + BATCH)),
                    maxNewTokens, decoding)) {
                out.add(tokenizer.decode(r.response(), true).strip());
            }
        }
        return out;
    }
}
