package rlhf4j.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.checkpoint.StageCheckpoint;
import rlhf4j.config.ConfigException;
import rlhf4j.config.PipelineConfig;
import rlhf4j.data.Document;
import rlhf4j.data.PromptData;
import rlhf4j.data.PromptExample;
import rlhf4j.data.PromptSplit;
import rlhf4j.data.RankingData;
import rlhf4j.data.RankingExample;
import rlhf4j.data.RowSkips;
import rlhf4j.data.TextCorpus;
import rlhf4j.eval.BestOfK;
import rlhf4j.eval.PolicyEval;
import rlhf4j.eval.RmReward;
import rlhf4j.generate.Decoding;
import rlhf4j.io.DataException;
import rlhf4j.model.Engine;
import rlhf4j.model.Gpt;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.Message;
import rlhf4j.tokenizer.SpecialTokens;

/** The evaluations behind {@code ./train eval}, on any file. */
public final class Evaluator {
    private static final int BATCH = 8;

    private Evaluator() {}

    /** LM loss, perplexity and bits per byte over consecutive windows of a text file. */
    public static Map<String, Object> text(Gpt gpt, BpeTokenizer tokenizer, Path file, int limitWindows) {
        Document doc = TextCorpus.readFile(file);
        int[] ids = tokenizer.encode(doc.text());
        int t = gpt.spec().blockSize();
        if (ids.length < t + 1) {
            throw new DataException(file, "has " + ids.length + " tokens, fewer than block_size + 1 = " + (t + 1));
        }
        List<int[]> batches = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        for (int s = 0; s + t + 1 <= ids.length && (limitWindows == 0 || starts.size() < limitWindows); s += t) {
            starts.add(s);
        }
        for (int from = 0; from < starts.size(); from += BATCH) {
            batches.add(starts.subList(from, Math.min(starts.size(), from + BATCH)).stream().mapToInt(i -> i).toArray());
        }
        LmEval.Result r = new LmEval(gpt, tokenizer).score(ids, batches);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("windows", starts.size());
        m.put("tokens", r.tokens());
        m.put("loss", r.loss());
        m.put("perplexity", Math.exp(r.loss()));
        m.put("bpb", r.bitsPerByte());
        return m;
    }

    /** Scores and answers for prompts with reference completions. */
    public record Conversations(Map<String, Object> metrics, List<GenerationEval.Answer> answers) {}

    /** A policy's scores and answers. */
    public record Policy(Map<String, Object> metrics, List<PolicyEval.Answer> answers) {}

    /** A best-of-K comparison to run beside a policy's greedy answers: K samples at a temperature; k 0 = none. */
    public record BestOf(int k, double temperature, long seed) {}

    /**
     * Masked loss of the references, greedy answers scored by exact match and chrF (each with a 95% bootstrap interval over prompts), and the copy baseline's
     * scores ({@code copy_baseline}) when every prompt starts with {@code copy}'s prefix.
     */
    public static Conversations conversations(Gpt gpt, BpeTokenizer tokenizer, Path file, int limit, double heldOut,
                                              int maxNewTokens, Decoding decoding, CopyBaseline copy) {
        List<GenerationEval.Item> items = new ArrayList<>();
        for (PromptExample p : PromptData.read(file)) {
            if (p.reference() == null) {
                throw new DataException(p.source(), p.line(), "missing column \"completion\" (the reference answer)");
            }
            boolean kept = heldOut == 0 || PromptSplit.isValidation(p.prompt(), heldOut);
            if (kept && (limit == 0 || items.size() < limit)) {
                items.add(new GenerationEval.Item(p.prompt(), p.reference()));
            }
        }
        ChatTemplate template = ChatTemplate.of(tokenizer);
        List<ChatTemplate.Rendered> rendered = new ArrayList<>();
        for (GenerationEval.Item item : items) {
            List<Message> conv = new ArrayList<>(item.prompt());
            conv.add(Message.assistant(item.reference()));
            ChatTemplate.Rendered r = template.render(conv);
            int keep = Math.min(r.length(), gpt.spec().blockSize() + 1);
            rendered.add(new ChatTemplate.Rendered(Arrays.copyOf(r.ids(), keep),
                    Arrays.copyOf(r.lossMask(), keep)));
        }
        double loss = MaskedLoss.of(gpt, rendered, BATCH, tokenizer.id(SpecialTokens.PAD));
        GenerationEval.Result gen = GenerationEval.run(gpt.decoder(), tokenizer, items,
                32, maxNewTokens, decoding);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts", items.size());
        m.put("decoding", decoding.label());
        m.put("loss", loss);
        m.put("exact_match", gen.exactMatch());
        m.put("chrf", gen.chrF());
        GoldEval.PerPrompt scores = GoldEval.PerPrompt.chrF(gen.answers().stream().map(GenerationEval.Answer::output)
                .toList(), items.stream().map(GenerationEval.Item::reference).toList());
        m.put("exact_match_ci95", interval(Bootstrap.mean(scores.scores().get(GoldEval.EXACT_MATCH), 0)));
        m.put("chrf_ci95", interval(Bootstrap.mean(scores.scores().get("chrf"), 1)));
        m.put("mean_response_tokens", gen.meanLength());
        copy.score(items).ifPresent(c -> m.put("copy_baseline", c.toMap()));
        return new Conversations(m, gen.answers());
    }

    private static List<Double> interval(Bootstrap.Interval ci) {
        return List.of(ci.low(), ci.high());
    }

    /**
     * A reward model on rankings or preference pairs: pairwise accuracy (r_better > r_worse), top-1, Kendall τ,
     * the ranking loss, mean margin and reward mean/std of the labeler's best and worst responses, normalised with
     * the model's {@code reward_norm.json} when it has one.
     */
    public static Map<String, Object> preferences(RewardModel rm, Path file, int limit) {
        RowSkips skips = new RowSkips(false);
        List<RankingExample> rows = RankingData.read(file, skips);
        List<RankingExample> scored = limit == 0 ? rows : rows.subList(0, Math.min(limit, rows.size()));
        if (scored.isEmpty()) {
            throw new DataException(file, "holds no ranking with a pair to score (" + skips.count()
                    + " rows without one: all scores equal, identical or empty responses)");
        }
        RankingMetrics metrics = rm.evaluate(scored);
        Map<String, Object> m = new LinkedHashMap<>(metrics.toMap());
        m.put("rows_without_a_pair", skips.count());
        m.put("reward_norm", rm.norm().fitted() ? rm.norm().toMap()
                : "none: the rm run has not finished, rewards are raw scores");
        return m;
    }

    /**
     * A policy's greedy answers to prompts, scored by a reward model: mean normalised reward, KL to a
     * reference policy, length, and exact match/chrF where the prompts have references; prints the first
     * {@code show} answers.
     */
    public static Policy policy(Path dir, StageCheckpoint.Loaded ckpt, Path rewardModel, Path referenceDir,
                                             Path file, int limit, int maxNewTokens, Decoding decoding,
                                             double temperature, int show, BestOf bestOf, Engine engine) {
        if (!(temperature > 0)) {
            throw new ConfigException("--temperature must be positive");
        }
        if (bestOf.k() != 0 && (bestOf.k() < 2 || bestOf.k() > 64 || !(bestOf.temperature() > 0))) {
            throw new ConfigException("--best-of must be 0 (off) or between 2 and 64, and --best-of-temperature positive");
        }
        RewardModel rm = RewardModel.load(rewardModel, engine);
        if (!rm.tokenizer().fingerprint().equals(ckpt.tokenizer().fingerprint())) {
            throw new ConfigException("--reward-model " + rewardModel + " uses a different tokenizer from " + dir);
        }
        Path refDir = referenceDir != null ? referenceDir
                : PipelineConfig.METHODS.contains(ckpt.stage()) && ckpt.trainerState().hasNonNull("init_from")
                ? Path.of(ckpt.trainerState().get("init_from").asText()) : dir;
        StageCheckpoint.Loaded ref = refDir.equals(dir) ? ckpt : StageCheckpoint.load(refDir);
        if (!ref.tokenizer().fingerprint().equals(ckpt.tokenizer().fingerprint())) {
            throw new ConfigException("--reference " + refDir + " uses a different tokenizer from " + dir);
        }
        List<PromptExample> prompts = PromptData.read(file);
        if (prompts.isEmpty()) {
            throw new DataException(file, "holds no prompts");
        }
        if (limit > 0 && prompts.size() > limit) {
            prompts = prompts.subList(0, limit);
        }
        Gpt policy = new Gpt(ckpt.spec(), ckpt.params(), engine);
        Gpt reference = ref == ckpt ? policy : new Gpt(ref.spec(), ref.params(), engine);
        PolicyEval.Result r = PolicyEval.run(policy, reference, new RmReward(rm), ckpt.tokenizer(), prompts, BATCH * 4,
                maxNewTokens, decoding, temperature);
        r.answers().stream().limit(show).forEach(a -> System.out.println(
                a.prompt().prompt().get(a.prompt().prompt().size() - 1).content() + " → " + a.output()
                        + String.format("  [reward %+.2f, kl %.2f]", a.reward(), a.kl())));
        Map<String, Object> m = new LinkedHashMap<>(r.toMap());
        m.put("decoding", decoding.label());
        m.put("reward_model", rewardModel.toString());
        m.put("reference", refDir.toString());
        if (bestOf.k() > 0) {
            m.put("gold", bestOfAgainstDecoded(policy, new RmReward(rm), ckpt.tokenizer(), prompts, r, maxNewTokens,
                    decoding, bestOf));
        }
        return new Policy(m, r.answers());
    }

    /**
     * Best-of-K (rejection sampling) next to the decoded (greedy or beam) answers: the policy samples K answers to
     * each prompt at {@code bestOf.temperature()} and the reward model picks one; both scored by chrF and exact match
     * against the references, with the paired difference best-of-K − decoded. Prompts without a reference are left out.
     */
    private static Map<String, Object> bestOfAgainstDecoded(Gpt policy, RmReward reward, BpeTokenizer tokenizer,
                                                            List<PromptExample> prompts, PolicyEval.Result decoded,
                                                            int maxNewTokens, Decoding decoding, BestOf bestOf) {
        List<Integer> scored = GoldEval.withReference(prompts);
        if (scored.isEmpty()) {
            throw new ConfigException("--best-of scores answers against references: the prompts have no completion");
        }
        List<PromptExample> withRef = scored.stream().map(prompts::get).toList();
        List<String> refs = withRef.stream().map(PromptExample::reference).toList();
        List<BestOfK.Choice> best = BestOfK.run(policy, reward, tokenizer, withRef, bestOf.k(), BATCH * 4,
                maxNewTokens, bestOf.temperature(), bestOf.seed());
        Map<String, GoldEval.PerPrompt> systems = new LinkedHashMap<>();
        String base = decoding.label();                                     // "greedy" or "beam-K"
        systems.put(base, GoldEval.PerPrompt.chrF(scored.stream().map(i -> decoded.answers().get(i).output()).toList(),
                refs));
        systems.put("best-of-" + bestOf.k(), GoldEval.PerPrompt.chrF(best.stream().map(BestOfK.Choice::answer).toList(),
                refs));
        GoldEval gold = GoldEval.of(systems, List.of("chrf"), base, Map.of(), bestOf.seed());
        System.out.println(gold.table());
        Map<String, Object> m = new LinkedHashMap<>(gold.toMap());
        m.put("best_of_temperature", bestOf.temperature());
        return m;
    }
}
