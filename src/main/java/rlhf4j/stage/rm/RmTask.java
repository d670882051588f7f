package rlhf4j.stage.rm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.config.RmConfig;
import rlhf4j.data.ConversationBatch;
import rlhf4j.data.RankingExample;
import rlhf4j.eval.RankingMetrics;
import rlhf4j.eval.RewardModel;
import rlhf4j.eval.RewardNorm;
import rlhf4j.loss.Loss;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.LastToken;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.Seeds;
import rlhf4j.train.TrainingTask;

/**
 * Reward-model training: each micro-batch is {@code batch_size} prompts' rankings drawn by a generator seeded
 * by (seed, step, micro) as in SFT, every response of each laid out in turn in one right-padded batch [N, T]
 * for the ranking loss ({@link Losses#ranking}: each response scored once, all pairs of a ranking in the same batch). Each
 * evaluation scores the first {@code eval_pairs} validation rankings and as many training ones (a fixed subset,
 * so the numbers are comparable across evaluations and resumes): loss, pairwise accuracy, top-1, Kendall τ,
 * margin and reward statistics, as {@code val_*} and {@code train_*}.
 */
final class RmTask implements TrainingTask {
    static final List<String> COLUMNS = columns();
    private static final int SAMPLE_LINES = 3;

    private final Gpt gpt;
    private final RewardModel scorer;
    private final RmGroups data;
    private final RmConfig cfg;
    private final int pad;
    private final int endOfTurn;
    private final Rankings gradient;
    private List<String> lastSamples = List.of();

    RmTask(RewardModel scorer, RmGroups data, RmConfig cfg, long seed) {
        this.gpt = scorer.gpt();
        this.scorer = scorer;
        this.data = data;
        this.cfg = cfg;
        this.pad = scorer.tokenizer().id(SpecialTokens.PAD);
        this.endOfTurn = ChatTemplate.of(scorer.tokenizer()).endOfTurn();
        this.gradient = new Rankings(data.train(), cfg.batchSize(), gpt.spec().blockSize(), pad, seed);
    }

    private static List<String> columns() {
        List<String> c = new ArrayList<>();
        for (String name : RankingMetrics.NAMES) {
            if (!name.equals("loss")) {
                c.add(name);                                   // per step, on the training batch
            }
        }
        for (String prefix : List.of("val_", "train_")) {
            for (String name : RankingMetrics.NAMES) {
                c.add(prefix + name);
            }
        }
        return List.copyOf(c);
    }

    @Override
    public MicroStep microStep(int step, int micro) {
        return gradient.compute(gpt, step, micro);
    }

    @Override
    public MicroBatchGradient gradient() {
        return gradient;
    }

    /**
     * The micro-batches: {@code batchSize} rankings drawn from {@link Seeds#microBatch}, every response of each
     * scored once, the ranking loss over all their pairs; with this batch's accuracy, margin and reward statistics
     * on the raw scores.
     */
    record Rankings(List<RmGroups.Group> train, int batchSize, int blockSize, int pad, long seed)
            implements MicroBatchGradient {
        Rankings {
            train = List.copyOf(train);
        }

        @Override
        public MicroStep compute(Gpt gpt, int step, int micro) {
            List<RmGroups.Group> groups = Seeds.drawMicroBatch(train, batchSize, seed, step, micro);
            Batch batch = batch(groups);
            ConversationBatch b = ConversationBatch.of(batch.rows(), blockSize, pad);                  // [N, T]
            Gpt.Step s = gpt.forwardBackward(HeadRequest.scalar(), b.batch(), out -> {
                Losses.ScoreLoss ranking = Losses.ranking(LastToken.scores(out.values(), b.batch()),
                        batch.comparisons());
                return Loss.ofValues(ranking.value(), LastToken.spread(ranking.dScores(), b.batch()));
            });
            long tokens = 0;
            for (int v : b.batch().keyValid()) {
                tokens += v;
            }
            double[] score = LastToken.scores(s.outputs().values(), b.batch());                      // [N]
            List<double[]> perGroup = new ArrayList<>(groups.size());
            int from = 0;
            for (RmGroups.Group g : groups) {
                perGroup.add(Arrays.copyOfRange(score, from, from + g.responses().size()));
                from += g.responses().size();
            }
            Map<String, Double> stepMetrics = new LinkedHashMap<>(RmGroups.metrics(groups, perGroup,
                    RewardNorm.identity()).asMap(""));
            stepMetrics.remove("loss");
            return new MicroStep(s.loss().value(), s.grads(), tokens, stepMetrics);
        }
    }

    /** One micro-batch's sequences (each group's responses in turn) and its comparisons, indices into them. */
    record Batch(List<ChatTemplate.Rendered> rows, List<Losses.Comparison> comparisons) {}

    /**
     * The rows of {@code groups} in order and every labelled pair of each group, weighted {@code 1 / (G · pairs
     * of the group)}: the ranking loss is then the mean over the groups of the mean over each group's pairs.
     */
    static Batch batch(List<RmGroups.Group> groups) {
        List<ChatTemplate.Rendered> rows = new ArrayList<>();
        List<Losses.Comparison> comparisons = new ArrayList<>();
        for (RmGroups.Group g : groups) {
            int offset = rows.size();
            double w = 1.0 / (groups.size() * g.ranking().pairs().size());
            for (RankingExample.Pair p : g.ranking().pairs()) {
                comparisons.add(new Losses.Comparison(offset + p.better(), offset + p.worse(), w, p.margin()));
            }
            rows.addAll(g.responses());
        }
        return new Batch(rows, comparisons);
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        List<RmGroups.Group> val = evalSubset(data.val());
        List<RmGroups.Group> train = evalSubset(data.train());
        List<double[]> v = RmGroups.score(scorer, val);
        Map<String, Double> m = new LinkedHashMap<>(RmGroups.metrics(val, v, RewardNorm.identity()).asMap("val_"));
        m.putAll(RmGroups.metrics(train, RmGroups.score(scorer, train), RewardNorm.identity()).asMap("train_"));
        lastSamples = samples(val, v);
        return m;
    }

    private List<RmGroups.Group> evalSubset(List<RmGroups.Group> groups) {
        return cfg.evalPairs() == 0 ? groups : groups.subList(0, Math.min(cfg.evalPairs(), groups.size()));
    }

    /** The first validation rankings, each response with its score, in the labeler's order (best first). */
    private List<String> samples(List<RmGroups.Group> val, List<double[]> scores) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < Math.min(SAMPLE_LINES, val.size()); i++) {
            RmGroups.Group g = val.get(i);
            int best = g.ranking().best();
            StringBuilder line = new StringBuilder();
            for (int j = 0; j < g.responses().size(); j++) {
                line.append(j == 0 ? "" : " | ").append(String.format("%+.3f%s %s", scores.get(i)[j],
                        j == best ? " (labeler's best)" : "", response(g.responses().get(j))));
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** The assistant's text of a rendered pair side (its loss-mask tokens, end-of-turn dropped). */
    private String response(ChatTemplate.Rendered r) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < r.length(); i++) {
            if (r.lossMask()[i] == 1 && r.ids()[i] != endOfTurn) {
                ids.add(r.ids()[i]);
            }
        }
        return scorer.tokenizer().decode(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public List<String> samples(int step) {
        return lastSamples;
    }
}
