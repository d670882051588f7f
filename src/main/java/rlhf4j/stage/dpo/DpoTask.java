package rlhf4j.stage.dpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.config.DpoConfig;
import rlhf4j.data.PromptExample;
import rlhf4j.generate.Decoding;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutBatch;
import rlhf4j.rollout.RolloutGenerator;
import rlhf4j.rollout.RolloutMath;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.Seeds;
import rlhf4j.train.TrainingTask;

/**
 * DPO's task for the shared loop: each micro-batch is {@code batch_size} rankings drawn by a generator seeded by
 * (seed, step, micro), as rm draws them; every response of each is one sequence of one batch, its log-probability the
 * sum over its tokens, and the loss {@link Losses#dpo} over all pairs of each ranking against the cached reference
 * log-probabilities. Beside the loss it logs what TRL's users read: the implicit rewards β·(log π − log π_ref) of the
 * chosen and rejected responses, their margin and how often the chosen one's is higher, and the policy's
 * log-probabilities of both; each evaluation gives the same on a fixed subset of the validation and training rankings.
 */
final class DpoTask implements TrainingTask {
    /** The per-step columns; each is also logged with val_ and train_ at evaluations. */
    static final List<String> NAMES = List.of("rewards_chosen", "rewards_rejected", "rewards_accuracy",
            "rewards_margin", "logps_chosen", "logps_rejected");
    static final List<String> COLUMNS = columns();
    private static final int SAMPLE_PROMPTS = 3;

    private final Gpt policy;
    private final DpoGroups data;
    private final DpoConfig cfg;
    private final BpeTokenizer tokenizer;
    private final Decoding decoding;
    private final int pad;
    private final Preferences gradient;
    private List<String> lastSamples = List.of();

    DpoTask(Gpt policy, DpoGroups data, DpoConfig cfg, BpeTokenizer tokenizer, Decoding decoding, int pad, long seed) {
        this.policy = policy;
        this.data = data;
        this.cfg = cfg;
        this.tokenizer = tokenizer;
        this.decoding = decoding;
        this.pad = pad;
        this.gradient = new Preferences(data.train(), cfg.batchSize(), pad, seed, cfg.beta(), cfg.ipo());
    }

    private static List<String> columns() {
        List<String> c = new ArrayList<>(NAMES);
        for (String prefix : List.of("val_", "train_")) {
            c.add(prefix + "loss");
            NAMES.forEach(n -> c.add(prefix + n));
        }
        return List.copyOf(c);
    }

    /** One micro-batch's sequences (each ranking's responses in turn), its comparisons and reference log-probabilities. */
    record Batch(List<Rollout> rows, List<Losses.Comparison> comparisons, double[] reference) {}

    /** Every pair of each group, weighted {@code 1 / (G · pairs of the group)}: each prompt counts once. */
    static Batch batch(List<DpoGroups.Group> groups) {
        List<Rollout> rows = new ArrayList<>();
        List<Losses.Comparison> comparisons = new ArrayList<>();
        double[] reference = new double[groups.stream().mapToInt(g -> g.responses().size()).sum()];    // [S]
        for (DpoGroups.Group g : groups) {
            int offset = rows.size();
            double w = 1.0 / (groups.size() * g.ranking().pairs().size());
            g.ranking().pairs().forEach(p -> comparisons.add(new Losses.Comparison(offset + p.better(),
                    offset + p.worse(), w, 0.0)));
            System.arraycopy(g.refLogp(), 0, reference, offset, g.refLogp().length);
            rows.addAll(g.responses());
        }
        return new Batch(rows, comparisons, reference);
    }

    @Override
    public MicroStep microStep(int step, int micro) {
        return gradient.compute(policy, step, micro);
    }

    @Override
    public MicroBatchGradient gradient() {
        return gradient;
    }

    /**
     * The micro-batches, as a value a Spark executor can run on its own copy of the policy: {@code batchSize}
     * rankings drawn from {@link Seeds#microBatch}, every response of each one sequence, the loss over all their
     * pairs against the cached reference log-probabilities; with the batch's implicit-reward figures.
     */
    record Preferences(List<DpoGroups.Group> train, int batchSize, int pad, long seed, double beta, boolean ipo)
            implements MicroBatchGradient {
        Preferences {
            train = List.copyOf(train);
        }

        @Override
        public MicroStep compute(Gpt gpt, int step, int micro) {
            Batch b = batch(Seeds.drawMicroBatch(train, batchSize, seed, step, micro));
            RolloutBatch rows = RolloutBatch.of(b.rows(), gpt.spec().blockSize(), pad);                // [S, T]
            Gpt.Step s = gpt.forwardBackward(HeadRequest.policy(rows.targets(), 1.0, false), rows.tokens(), o -> {
                double[][] logp = rows.ragged(o.logp());                                          // [S][L]
                Losses.ScoreLoss l = Losses.dpo(RolloutMath.rowSums(logp), b.reference(), b.comparisons(), beta, ipo);
                return Loss.ofLogp(l.value(), rows.flat(spread(l.dScores(), logp)));
            });
            double[] sequences = RolloutMath.rowSums(rows.ragged(s.outputs().logp()));            // [S]
            Map<String, Double> m = metrics(sequences, b, beta, ipo);
            m.remove("loss");
            return new MicroStep(s.loss().value(), s.grads(), rows.responseTokens(), m);
        }
    }

    /** Each sequence's derivative on every one of its tokens: the sum's derivative is 1 per term. */
    private static double[][] spread(double[] perSequence, double[][] shape) {
        double[][] out = new double[shape.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[shape[i].length];
            Arrays.fill(out[i], perSequence[i]);
        }
        return out;
    }

    /**
     * The loss and the implicit-reward figures of a batch from the policy's sequence log-probabilities [S]: each a mean
     * over the comparisons with their weights (so each prompt counts once), accuracy counting a tie as half.
     */
    static Map<String, Double> metrics(double[] policy, Batch b, double beta, boolean ipo) {
        double total = 0;
        double chosen = 0;
        double rejected = 0;
        double accuracy = 0;
        double logpChosen = 0;
        double logpRejected = 0;
        for (Losses.Comparison c : b.comparisons()) {
            double rw = beta * (policy[c.better()] - b.reference()[c.better()]);
            double rl = beta * (policy[c.worse()] - b.reference()[c.worse()]);
            total += c.weight();
            chosen += c.weight() * rw;
            rejected += c.weight() * rl;
            accuracy += c.weight() * (rw > rl ? 1 : rw == rl ? 0.5 : 0);
            logpChosen += c.weight() * policy[c.better()];
            logpRejected += c.weight() * policy[c.worse()];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", Losses.dpo(policy, b.reference(), b.comparisons(), beta, ipo).value() / total);
        m.put("rewards_chosen", chosen / total);
        m.put("rewards_rejected", rejected / total);
        m.put("rewards_accuracy", accuracy / total);
        m.put("rewards_margin", (chosen - rejected) / total);
        m.put("logps_chosen", logpChosen / total);
        m.put("logps_rejected", logpRejected / total);
        return m;
    }

    /** The figures of {@code groups} under the current policy (no gradient), in passes of a few rankings. */
    Map<String, Double> score(List<DpoGroups.Group> groups) {
        Batch all = batch(groups);
        double[] policySeq = new double[all.rows().size()];                                       // [S]
        int step = 32;
        for (int from = 0; from < policySeq.length; from += step) {
            int to = Math.min(policySeq.length, from + step);
            double[] part = DpoGroups.sequenceLogp(policy, all.rows().subList(from, to), pad);
            System.arraycopy(part, 0, policySeq, from, part.length);
        }
        return metrics(policySeq, all, cfg.beta(), cfg.ipo());
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        Map<String, Double> m = new LinkedHashMap<>();
        score(subset(data.val())).forEach((k, v) -> m.put("val_" + k, v));
        score(subset(data.train())).forEach((k, v) -> m.put("train_" + k, v));
        lastSamples = answers();
        return m;
    }

    private List<DpoGroups.Group> subset(List<DpoGroups.Group> groups) {
        return cfg.evalPairs() == 0 ? groups : groups.subList(0, Math.min(cfg.evalPairs(), groups.size()));
    }

    /** The policy's answers to the first validation prompts, beside the labeler's best response. */
    private List<String> answers() {
        List<DpoGroups.Group> groups = data.val().subList(0, Math.min(SAMPLE_PROMPTS, data.val().size()));
        List<PromptExample> prompts = groups.stream()
                .map(g -> new PromptExample(null, g.ranking().line(), g.ranking().prompt(), null)).toList();
        RolloutGenerator generator = new RolloutGenerator(tokenizer);
        List<Rollout> out = generator.answer(policy, prompts, cfg.maxNewTokens(), decoding);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            DpoGroups.Group g = groups.get(i);
            lines.add(g.ranking().prompt().get(g.ranking().prompt().size() - 1).content() + " → "
                    + tokenizer.decode(out.get(i).response(), true).strip() + "  [labeler's best: "
                    + g.ranking().responses().get(g.ranking().best()) + "]");
        }
        return lines;
    }

    @Override
    public List<String> samples(int step) {
        return lastSamples;
    }
}
