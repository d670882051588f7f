package rlhf4j.stage.ppo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import rlhf4j.checkpoint.AtomicFile;
import rlhf4j.checkpoint.Json;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.config.PpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.eval.CopyBaseline;
import rlhf4j.eval.Fluency;
import rlhf4j.eval.GoldEval;
import rlhf4j.eval.judge.Judge;
import rlhf4j.generate.Decoding;
import rlhf4j.model.Gpt;
import rlhf4j.eval.AnswerLoss;
import rlhf4j.eval.BestOfK;
import rlhf4j.eval.PolicyEval;

/**
 * PPO's test evaluation, judged by the labeler's own measure and any independent judge rather than by the reward
 * model PPO optimised: the SFT and the PPO policy answer the test prompts (decoded as {@code eval} says), SFT
 * best-of-K by the reward model beside them, and every answer is scored by every judge (means, paired differences
 * and win rates against SFT, with bootstrap intervals). Beside the scores, the figures that tell a win earned from a
 * win hacked: KL to SFT, repeated trigrams, distinct-2 and the loss under the frozen pretrained model. For the
 * score-against-KL plot, SFT's best-of-n for n = 1 … 16 on the held-out prompts PPO's evaluations answer during
 * training. The answers go to {@code test_answers.jsonl}, one line per prompt, so anyone can rescore them.
 */
final class PpoTestEval {
    static final String ANSWERS = "test_answers.jsonl";
    /** The n of the best-of-n curve, as in Gao, Schulman and Hilton (2022). */
    static final int[] CURVE_N = {1, 2, 4, 8, 16};

    /** What the evaluation found: the two policies' answers, the judges' verdict and the best-of-n curve. */
    record Outcome(PolicyEval.Result sft, PolicyEval.Result ppo, GoldEval gold, Map<String, Object> bestOfCurve) {}

    /** The models and settings the evaluation uses; {@code pretrained} may be null (no loss figure then). */
    record Setup(ExperimentConfig config, PpoModels models, Gpt pretrained, List<Judge> judges) {
        PpoConfig ppo() {
            return config.ppo();
        }

        Decoding decoding() {
            return config.eval().decoding(config.run().seed());
        }
    }

    private PpoTestEval() {}

    static Outcome run(Setup s, List<PromptExample> testPrompts, List<PromptExample> curvePrompts, Path dir,
                       PrintStream out) {
        PpoConfig cfg = s.ppo();
        PpoModels m = s.models();
        PolicyEval.Result sft = PolicyEval.run(m.reference(), m.reference(), m.reward(), m.tokenizer(), testPrompts,
                cfg.batchSize(), cfg.maxNewTokens(), s.decoding(), cfg.temperature());
        PolicyEval.Result ppo = PolicyEval.run(m.policy(), m.reference(), m.reward(), m.tokenizer(), testPrompts,
                cfg.batchSize(), cfg.maxNewTokens(), s.decoding(), cfg.temperature());
        boolean needsRef = s.judges().stream().anyMatch(Judge::needsReference);
        List<Integer> scored = needsRef ? GoldEval.withReference(testPrompts)
                : java.util.stream.IntStream.range(0, testPrompts.size()).boxed().toList();
        if (scored.isEmpty()) {
            return new Outcome(sft, ppo, null, null);
        }
        List<PromptExample> prompts = scored.stream().map(testPrompts::get).toList();
        Map<String, List<String>> answers = new LinkedHashMap<>();
        String decoded = s.decoding().label();
        String baseline = "sft " + decoded;
        answers.put(baseline, scored.stream().map(i -> sft.answers().get(i).output()).toList());
        Map<String, Double> kl = new LinkedHashMap<>();
        kl.put(baseline, sft.kl());
        if (cfg.bestOf() > 0) {
            List<BestOfK.Choice> best = BestOfK.run(m.reference(), m.reward(), m.tokenizer(), prompts, cfg.bestOf(),
                    promptsPerBatch(cfg), cfg.maxNewTokens(), cfg.bestOfSamplingTemperature(), s.config().run().seed());
            out.printf("best-of-%d: %d test prompts answered %d times by sft at temperature %s, the reward model picked "
                    + "one%n", cfg.bestOf(), prompts.size(), cfg.bestOf(), cfg.bestOfSamplingTemperature());
            answers.put("sft best-of-" + cfg.bestOf(), best.stream().map(BestOfK.Choice::answer).toList());
            kl.put("sft best-of-" + cfg.bestOf(), BestOfK.kl(cfg.bestOf()));
        }
        String policy = "ppo " + decoded;
        answers.put(policy, scored.stream().map(i -> ppo.answers().get(i).output()).toList());
        kl.put(policy, scored.stream().mapToDouble(i -> ppo.answers().get(i).kl()).average().orElse(Double.NaN));
        CopyBaseline copy = new CopyBaseline(s.config().eval().copyPrefix());
        List<Optional<String>> copies = prompts.stream().map(p -> copy.answer(p.prompt())).toList();
        if (!copies.isEmpty() && copies.stream().allMatch(Optional::isPresent)) {
            answers.put("copy the input", copies.stream().map(Optional::get).toList());
        }
        Map<String, GoldEval.PerPrompt> systems = new LinkedHashMap<>();
        Map<String, Map<String, Double>> figures = new LinkedHashMap<>();
        List<String> texts = prompts.stream().map(PpoTestEval::promptText).toList();
        List<String> refs = prompts.stream().map(PromptExample::reference).toList();
        for (Map.Entry<String, List<String>> e : answers.entrySet()) {
            systems.put(e.getKey(), GoldEval.PerPrompt.judged(s.judges(), texts, e.getValue(), refs));
            Map<String, Double> f = new LinkedHashMap<>();
            if (kl.containsKey(e.getKey())) {
                f.put("kl", kl.get(e.getKey()));
            }
            f.put("repeated_trigrams", Fluency.repeatedTrigramShare(e.getValue()));
            f.put("distinct_2", Fluency.distinct2(e.getValue()));
            if (s.pretrained() != null) {
                f.put("lm_loss", AnswerLoss.of(s.pretrained(), m.tokenizer(), texts, e.getValue()));
            }
            figures.put(e.getKey(), f);
        }
        List<String> judgeNames = s.judges().stream().map(Judge::name).toList();
        GoldEval gold = GoldEval.of(systems, judgeNames, baseline, figures, s.config().run().seed());
        writeAnswers(dir, prompts, answers, systems);
        Map<String, Object> curve = cfg.bestOf() > 0 && !curvePrompts.isEmpty()
                ? bestOfCurve(s, curvePrompts, out) : null;
        return new Outcome(sft, ppo, gold, curve);
    }

    /**
     * SFT's best-of-n on {@code prompts} for each n of {@link #CURVE_N}: 16 samples per prompt, the reward model
     * picks among the first n; each judge's mean score and the analytic KL log n − (n−1)/n.
     */
    private static Map<String, Object> bestOfCurve(Setup s, List<PromptExample> prompts, PrintStream out) {
        PpoConfig cfg = s.ppo();
        PpoModels m = s.models();
        int k = CURVE_N[CURVE_N.length - 1];
        List<BestOfK.Candidates> all = BestOfK.sample(m.reference(), m.reward(), m.tokenizer(), prompts, k,
                Math.max(1, promptsPerBatch(cfg) / 4), cfg.maxNewTokens(), cfg.bestOfSamplingTemperature(),
                s.config().run().seed() + 1);
        List<String> texts = prompts.stream().map(PpoTestEval::promptText).toList();
        List<String> refs = prompts.stream().map(PromptExample::reference).toList();
        List<Map<String, Object>> points = new ArrayList<>();
        for (int n : CURVE_N) {
            List<String> chosen = all.stream().map(c -> c.best(n).answer()).toList();
            GoldEval.PerPrompt scores = GoldEval.PerPrompt.judged(s.judges().stream().filter(j -> !j.needsReference()
                    || refs.stream().allMatch(java.util.Objects::nonNull)).toList(), texts, chosen, refs);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("n", n);
            p.put("kl", BestOfK.kl(n));
            scores.scores().forEach((judge, x) -> p.put(judge, java.util.Arrays.stream(x).average().orElse(Double.NaN)));
            points.add(p);
        }
        out.printf("best-of-n curve: %d held-out prompts answered %d times by sft at temperature %s%n", prompts.size(),
                k, cfg.bestOfSamplingTemperature());
        Map<String, Object> curve = new LinkedHashMap<>();
        curve.put("prompts", prompts.size());
        curve.put("what", "SFT best-of-n by the reward model on the held-out prompts of PPO's evaluations (metrics.csv "
                + "val_* columns), KL = log n - (n-1)/n");
        curve.put("points", points);
        return curve;
    }

    /** Prompts per sampling batch of best-of-K: about four rollout batches' worth of answers. */
    private static int promptsPerBatch(PpoConfig cfg) {
        return Math.max(1, cfg.batchSize() / Math.max(1, cfg.bestOf())) * 4;
    }

    /** What the user asked: the last turn of the prompt. */
    static String promptText(PromptExample p) {
        return p.prompt().get(p.prompt().size() - 1).content();
    }

    /** One line per prompt: the prompt, its reference, and each system's answer with its judges' scores. */
    private static void writeAnswers(Path dir, List<PromptExample> prompts, Map<String, List<String>> answers,
                                     Map<String, GoldEval.PerPrompt> scores) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", promptText(prompts.get(i)));
            if (prompts.get(i).reference() != null) {
                line.put("reference", prompts.get(i).reference());
            }
            for (Map.Entry<String, List<String>> e : answers.entrySet()) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("answer", e.getValue().get(i));
                for (Map.Entry<String, double[]> sc : scores.get(e.getKey()).scores().entrySet()) {
                    a.put(sc.getKey(), sc.getValue()[i]);
                }
                line.put(e.getKey(), a);
            }
            sb.append(Json.line(line)).append('\n');
        }
        try {
            AtomicFile.write(dir.resolve(ANSWERS), sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(ANSWERS), e);
        }
    }
}
