package rlhf4j.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;
import rlhf4j.checkpoint.Json;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ExperimentConfig;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.data.TaskFiles;
import rlhf4j.eval.judge.Judge;
import rlhf4j.generate.Decoding;
import rlhf4j.io.AtomicFile;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * The test evaluation of a trained policy (PPO, DPO, GRPO), judged by the labeler's own measure and any independent
 * judge rather than by the reward model a method optimised: SFT and the policy answer the test prompts (decoded as
 * {@code eval} says, every model drawing the same random numbers for a prompt), SFT best-of-K by the reward model
 * beside them where there is one, and every answer is scored by every judge (means, paired differences and win rates
 * against SFT, with bootstrap intervals). Beside the scores, the figures that tell a win earned from a win hacked:
 * KL to SFT, repeated trigrams, distinct-2 and the loss under the frozen pretrained model. For the score-against-KL
 * plot, SFT's best-of-n for n = 1 … 16 on the held-out prompts the stage's evaluations answer during training. The
 * answers go to {@code test_answers.jsonl}, one line per prompt, and the numbers to {@code test_metrics.json}.
 */
public final class PolicyTestEval {
    public static final String ANSWERS = "test_answers.jsonl";
    /** The n of the best-of-n curve, as in Gao, Schulman and Hilton (2022). */
    static final int[] CURVE_N = {1, 2, 4, 8, 16};

    /**
     * What the evaluation found: the two policies' answers, the judges' verdict, the best-of-n curve and the scores of
     * copying the input (where the prompts have references and the task copies).
     */
    public record Outcome(PolicyEval.Result sft, PolicyEval.Result policy, GoldEval gold,
                          Map<String, Object> bestOfCurve, Optional<CopyBaseline.Scores> copy) {}

    /**
     * The policy under test ({@code method} names it: ppo, dpo, grpo) and how it answers.
     *
     * @param reward      scores answers for the reward figure and picks best-of-K; null: neither
     * @param pretrained  the run's pretrained model for the loss figure; null: none
     * @param temperature the temperature of the next-token distributions the KL to SFT is measured between
     * @param bestOf      K of SFT best-of-K (0 = none)
     */
    public record Setup(ExperimentConfig config, String method, Gpt policy, Gpt reference, RewardFunction reward,
                        BpeTokenizer tokenizer, Gpt pretrained, List<Judge> judges, int batchSize, int maxNewTokens,
                        double temperature, int bestOf, double bestOfTemperature) {
        Decoding decoding() {
            return config.eval().decoding(config.run().seed());
        }

        long seed() {
            return config.run().seed();
        }
    }

    private PolicyTestEval() {}

    /**
     * After training: the first {@code limit} prompts of {@code testFile} (0 = all) answered and judged,
     * {@code test_metrics.json} and {@code test_answers.jsonl} written into {@code dir}; returns the outcome and
     * prints nothing but progress lines (the caller prints {@link #summary}).
     */
    public static Outcome runAndWrite(Setup s, String testFile, int limit, List<PromptExample> curvePrompts, Path dir,
                                      PrintStream out) {
        s.policy().releaseBuffers();                       // training is over: only decoding and scoring follow
        s.reference().releaseBuffers();
        List<PromptExample> testPrompts = PromptData.read(TaskFiles.ensure(Path.of(testFile), out));
        if (limit > 0 && testPrompts.size() > limit) {
            testPrompts = testPrompts.subList(0, limit);
        }
        Outcome outcome = run(s, testPrompts, curvePrompts, dir, out);
        writeMetrics(s, dir, testFile, outcome);
        return outcome;
    }

    /** The console lines of an outcome: the reward/KL table and the judges' table. */
    public static String summary(Setup s, Outcome outcome) {
        return comparison(s.method(), outcome.sft(), outcome.policy(), outcome.copy())
                + (outcome.gold() == null ? "" : "\n" + outcome.gold().table());
    }

    private static Optional<CopyBaseline.Scores> copyScores(Setup s, List<PromptExample> testPrompts) {
        return new CopyBaseline(s.config().eval().copyPrefix()).score(testPrompts.stream()
                .filter(p -> p.reference() != null).map(p -> new GenerationEval.Item(p.prompt(), p.reference())).toList());
    }

    /** The run's pretrained model, for the loss of the test answers under it; null when the run has none. */
    public static Gpt pretrained(ExperimentConfig config, Engine engine) {
        Path dir = Path.of(config.run().outDir(), config.run().name(), "pretrain");
        if (!StageCheckpoint.exists(dir)) {
            return null;
        }
        StageCheckpoint.Loaded p = StageCheckpoint.load(dir);
        return new Gpt(p.spec(), p.params(), engine);
    }

    static Outcome run(Setup s, List<PromptExample> testPrompts, List<PromptExample> curvePrompts, Path dir,
                       PrintStream out) {
        PolicyEval.Result sft = PolicyEval.run(s.reference(), s.reference(), s.reward(), s.tokenizer(), testPrompts,
                s.batchSize(), s.maxNewTokens(), s.decoding(), s.temperature());
        PolicyEval.Result trained = PolicyEval.run(s.policy(), s.reference(), s.reward(), s.tokenizer(), testPrompts,
                s.batchSize(), s.maxNewTokens(), s.decoding(), s.temperature());
        Optional<CopyBaseline.Scores> copied = copyScores(s, testPrompts);
        boolean needsRef = s.judges().stream().anyMatch(Judge::needsReference);
        List<Integer> scored = needsRef ? GoldEval.withReference(testPrompts)
                : IntStream.range(0, testPrompts.size()).boxed().toList();
        if (scored.isEmpty()) {
            return new Outcome(sft, trained, null, null, copied);
        }
        List<PromptExample> prompts = scored.stream().map(testPrompts::get).toList();
        Map<String, List<String>> answers = new LinkedHashMap<>();
        String decoded = s.decoding().label();
        String baseline = "sft " + decoded;
        answers.put(baseline, scored.stream().map(i -> sft.answers().get(i).output()).toList());
        Map<String, Double> kl = new LinkedHashMap<>();
        kl.put(baseline, sft.kl());
        boolean bestOf = s.bestOf() > 0 && s.reward() != null;
        if (bestOf) {
            List<BestOfK.Choice> best = BestOfK.run(s.reference(), s.reward(), s.tokenizer(), prompts, s.bestOf(),
                    promptsPerBatch(s), s.maxNewTokens(), s.bestOfTemperature(), s.seed());
            out.printf("best-of-%d: %d test prompts answered %d times by sft at temperature %s, the reward model picked "
                    + "one%n", s.bestOf(), prompts.size(), s.bestOf(), s.bestOfTemperature());
            answers.put("sft best-of-" + s.bestOf(), best.stream().map(BestOfK.Choice::answer).toList());
            kl.put("sft best-of-" + s.bestOf(), BestOfK.kl(s.bestOf()));
        }
        String policy = s.method() + " " + decoded;
        answers.put(policy, scored.stream().map(i -> trained.answers().get(i).output()).toList());
        kl.put(policy, scored.stream().mapToDouble(i -> trained.answers().get(i).kl()).average().orElse(Double.NaN));
        CopyBaseline copy = new CopyBaseline(s.config().eval().copyPrefix());
        List<Optional<String>> copies = prompts.stream().map(p -> copy.answer(p.prompt())).toList();
        if (!copies.isEmpty() && copies.stream().allMatch(Optional::isPresent)) {
            answers.put("copy the input", copies.stream().map(Optional::get).toList());
        }
        Map<String, GoldEval.PerPrompt> systems = new LinkedHashMap<>();
        Map<String, Map<String, Double>> figures = new LinkedHashMap<>();
        List<String> texts = prompts.stream().map(PolicyTestEval::promptText).toList();
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
                f.put("lm_loss", AnswerLoss.of(s.pretrained(), s.tokenizer(), texts, e.getValue()));
            }
            figures.put(e.getKey(), f);
        }
        List<String> judgeNames = s.judges().stream().map(Judge::name).toList();
        GoldEval gold = GoldEval.of(systems, judgeNames, baseline, figures, s.seed());
        writeAnswers(dir, prompts, answers, systems);
        Map<String, Object> curve = bestOf && !curvePrompts.isEmpty() ? bestOfCurve(s, curvePrompts, out) : null;
        return new Outcome(sft, trained, gold, curve, copied);
    }

    /**
     * SFT's best-of-n on {@code prompts} for each n of {@link #CURVE_N}: 16 samples per prompt, the reward model
     * picks among the first n; each judge's mean score and the analytic KL log n − (n−1)/n.
     */
    private static Map<String, Object> bestOfCurve(Setup s, List<PromptExample> prompts, PrintStream out) {
        int k = CURVE_N[CURVE_N.length - 1];
        List<BestOfK.Candidates> all = BestOfK.sample(s.reference(), s.reward(), s.tokenizer(), prompts, k,
                Math.max(1, promptsPerBatch(s) / 4), s.maxNewTokens(), s.bestOfTemperature(), s.seed() + 1);
        List<String> texts = prompts.stream().map(PolicyTestEval::promptText).toList();
        List<String> refs = prompts.stream().map(PromptExample::reference).toList();
        List<Map<String, Object>> points = new ArrayList<>();
        for (int n : CURVE_N) {
            List<String> chosen = all.stream().map(c -> c.best(n).answer()).toList();
            GoldEval.PerPrompt scores = GoldEval.PerPrompt.judged(s.judges().stream().filter(j -> !j.needsReference()
                    || refs.stream().allMatch(Objects::nonNull)).toList(), texts, chosen, refs);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("n", n);
            p.put("kl", BestOfK.kl(n));
            scores.scores().forEach((judge, x) -> p.put(judge, Arrays.stream(x).average().orElse(Double.NaN)));
            points.add(p);
        }
        out.printf("best-of-n curve: %d held-out prompts answered %d times by sft at temperature %s%n", prompts.size(),
                k, s.bestOfTemperature());
        Map<String, Object> curve = new LinkedHashMap<>();
        curve.put("prompts", prompts.size());
        curve.put("what", "SFT best-of-n by the reward model on the held-out prompts of " + s.method()
                + "'s evaluations (metrics.csv val_* columns), KL = log n - (n-1)/n");
        curve.put("points", points);
        return curve;
    }

    /** Prompts per sampling batch of best-of-K: about four rollout batches' worth of answers. */
    private static int promptsPerBatch(Setup s) {
        return Math.max(1, s.batchSize() / Math.max(1, s.bestOf())) * 4;
    }

    /** What the user asked: the last turn of the prompt. */
    public static String promptText(PromptExample p) {
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

    private static void writeMetrics(Setup s, Path dir, String file, Outcome outcome) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file);
        json.put("method", s.method());
        json.put("prompts", outcome.policy().answers().size());
        json.put("decoding", s.decoding().label());
        json.put("decoding_described", s.decoding().describe());
        json.put("sft", outcome.sft().toMap());
        json.put(s.method(), outcome.policy().toMap());
        outcome.copy().ifPresent(c -> json.put("copy_baseline", c.toMap()));
        if (outcome.gold() != null) {
            json.put("gold", outcome.gold().toMap());
            json.put("answers_file", ANSWERS);
        }
        if (outcome.bestOfCurve() != null) {
            json.put("best_of_curve", outcome.bestOfCurve());
        }
        json.put("units", "reward: normalised reward-model score of the decoded answers (NaN without a reward); kl: sum "
                + "over an answer's tokens of KL(policy || sft) of the next-token distributions at temperature "
                + s.temperature());
        try {
            Json.write(dir.resolve(StageCheckpoint.TEST_METRICS), json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(StageCheckpoint.TEST_METRICS), e);
        }
    }

    static String comparison(String method, PolicyEval.Result sft, PolicyEval.Result policy,
                             Optional<CopyBaseline.Scores> copy) {
        StringBuilder sb = new StringBuilder(String.format("test (%d prompts)   reward    kl   exact match   chrF   length%n",
                policy.answers().size()));
        String[] names = {"sft", method};
        PolicyEval.Result[] results = {sft, policy};
        for (int i = 0; i < 2; i++) {
            PolicyEval.Result r = results[i];
            sb.append(String.format("  %-16s %+7.3f %6.3f   %9.1f%%  %5.1f  %6.1f%n", names[i], r.rewardMean(), r.kl(),
                    100 * r.exactMatch(), r.chrF(), r.meanLength()));
        }
        copy.ifPresent(c -> sb.append(String.format("  %-16s %7s %6s   %9.1f%%  %5.1f%n", "copy the input", "", "",
                100 * c.exactMatch(), c.chrF())));
        return sb.toString().stripTrailing();
    }
}
