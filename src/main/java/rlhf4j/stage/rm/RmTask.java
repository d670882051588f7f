package rlhf4j.stage.rm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import rlhf4j.config.RmConfig;
import rlhf4j.data.ConversationBatch;
import rlhf4j.eval.PairMetrics;
import rlhf4j.eval.RewardNorm;
import rlhf4j.eval.RewardModel;
import rlhf4j.model.Gpt;
import rlhf4j.model.LastToken;
import rlhf4j.model.PairwiseHead;
import rlhf4j.model.ScalarHead;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.TrainingTask;

/**
 * Reward-model training: each micro-batch is {@code batch_size} pairs drawn by a generator seeded by
 * (seed, step, micro) as in SFT, laid out as the chosen rows then the rejected rows of one right-padded
 * batch [2P, T] for the {@link PairwiseHead}. Each evaluation scores the first {@code eval_pairs}
 * validation pairs and as many training pairs (a fixed subset, so the numbers are comparable across
 * evaluations and resumes): loss, accuracy, margin and reward statistics, as {@code val_*} and {@code train_*}.
 */
final class RmTask implements TrainingTask {
    static final List<String> COLUMNS = columns();
    private static final int SAMPLE_LINES = 3;

    private final Gpt gpt;
    private final RewardModel scorer;
    private final RmPairs data;
    private final RmConfig cfg;
    private final long seed;
    private final int pad;
    private final int endOfTurn;
    private final PairwiseHead head = new PairwiseHead();
    private List<String> lastSamples = List.of();

    RmTask(RewardModel scorer, RmPairs data, RmConfig cfg, long seed) {
        this.gpt = scorer.gpt();
        this.scorer = scorer;
        this.data = data;
        this.cfg = cfg;
        this.seed = seed;
        this.pad = scorer.tokenizer().id(SpecialTokens.PAD);
        this.endOfTurn = scorer.tokenizer().id(SpecialTokens.IM_END);
    }

    private static List<String> columns() {
        List<String> c = new ArrayList<>();
        for (String name : PairMetrics.NAMES) {
            if (!name.equals("loss")) {
                c.add(name);                                   // per step, on the training batch
            }
        }
        for (String prefix : List.of("val_", "train_")) {
            for (String name : PairMetrics.NAMES) {
                c.add(prefix + name);
            }
        }
        return List.copyOf(c);
    }

    @Override
    public MicroStep microStep(int step, int micro) {
        Random rng = new Random(seed * 1_000_003L + (long) step * 4099L + micro);
        int p = cfg.batchSize();
        List<ChatTemplate.Rendered> rows = new ArrayList<>(2 * p);
        List<ChatTemplate.Rendered> rejected = new ArrayList<>(p);
        double[] margin = new double[p];
        for (int i = 0; i < p; i++) {
            RmPairs.Pair pair = data.train().get(rng.nextInt(data.train().size()));
            rows.add(pair.chosen());
            rejected.add(pair.rejected());
            margin[i] = pair.margin();
        }
        rows.addAll(rejected);
        ConversationBatch b = ConversationBatch.of(rows, gpt.spec().blockSize(), pad);         // [2P, T]
        Map<String, INDArray> feed = Map.of(
                ScalarHead.LAST_TOKEN, LastToken.onehot(b.batch(), gpt.dataType()),                // [2P, T]
                PairwiseHead.MARGIN, Nd4j.createFromArray(margin).castTo(gpt.dataType()));        // [P]
        Gpt.Step s = gpt.forwardBackward(head, b.batch(), feed,
                List.of(PairwiseHead.LOSS, PairwiseHead.CHOSEN, PairwiseHead.REJECTED));
        long tokens = 0;
        for (int v : b.batch().keyValid()) {
            tokens += v;
        }
        // this batch's accuracy, margin and reward stats on the raw (not yet normalised) scores
        PairMetrics batch = PairMetrics.of(s.outputs().get(PairwiseHead.CHOSEN).toDoubleVector(),
                s.outputs().get(PairwiseHead.REJECTED).toDoubleVector(), margin, RewardNorm.identity());
        Map<String, Double> stepMetrics = new LinkedHashMap<>(batch.asMap(""));
        stepMetrics.remove("loss");
        return new MicroStep(s.outputs().get(PairwiseHead.LOSS).getDouble(0), s.grads(), tokens, stepMetrics);
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        List<RmPairs.Pair> val = evalSubset(data.val());
        RewardModel.PairScores v = RmPairs.score(scorer, val);
        RewardModel.PairScores t = RmPairs.score(scorer, evalSubset(data.train()));
        Map<String, Double> m = new LinkedHashMap<>(v.metrics().asMap("val_"));
        m.putAll(t.metrics().asMap("train_"));
        lastSamples = samples(val, v);
        return m;
    }

    private List<RmPairs.Pair> evalSubset(List<RmPairs.Pair> pairs) {
        return cfg.evalPairs() == 0 ? pairs : pairs.subList(0, Math.min(cfg.evalPairs(), pairs.size()));
    }

    private List<String> samples(List<RmPairs.Pair> val, RewardModel.PairScores scores) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < Math.min(SAMPLE_LINES, val.size()); i++) {
            lines.add(String.format("%+.3f chosen %s | %+.3f rejected %s", scores.chosen()[i],
                    response(val.get(i).chosen()), scores.rejected()[i], response(val.get(i).rejected())));
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
