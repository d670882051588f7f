package rlhf4j.stage.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rlhf4j.config.SftConfig;
import rlhf4j.data.ConversationBatch;
import rlhf4j.eval.MaskedLoss;
import rlhf4j.eval.GenerationEval;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.TrainingTask;
import rlhf4j.train.Seeds;

/**
 * Supervised fine-tuning: batches of conversations drawn by a generator seeded by (seed, step),
 * loss on assistant tokens only; evaluation is the masked validation loss plus greedy answers to
 * held-out prompts scored by exact match and chrF.
 */
final class SftTask implements TrainingTask {
    private static final int MAX_VAL_ROWS = 256;
    private static final int SAMPLE_LINES = 3;
    private static final int GEN_BATCH = 16;

    private final Gpt gpt;
    private final BpeTokenizer tokenizer;
    private final SftExamples data;
    private final SftConfig cfg;
    private final long seed;
    private final int pad;
    private List<GenerationEval.Answer> lastAnswers = List.of();

    SftTask(Gpt gpt, BpeTokenizer tokenizer, SftExamples data, SftConfig cfg, long seed) {
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.data = data;
        this.cfg = cfg;
        this.seed = seed;
        this.pad = tokenizer.id(SpecialTokens.PAD);
    }

    @Override
    public MicroStep microStep(int step, int micro) {
        Random rng = Seeds.microBatch(seed, step, micro);
        List<ChatTemplate.Rendered> rows = new ArrayList<>(cfg.batchSize());
        for (int i = 0; i < cfg.batchSize(); i++) {
            rows.add(data.train().get(rng.nextInt(data.train().size())));
        }
        ConversationBatch b = ConversationBatch.of(rows, gpt.spec().blockSize(), pad);
        double[] weight = Losses.meanWeights(b.mask());                                       // [B*T]
        Gpt.Step s = gpt.forwardBackward(HeadRequest.lm(b.targets()), b.batch(), out -> Losses.lm(out.logp(), weight));
        return new MicroStep(s.loss().value(), s.grads(), b.maskedIn());
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        List<ChatTemplate.Rendered> val = data.val().subList(0, Math.min(MAX_VAL_ROWS, data.val().size()));
        double valLoss = MaskedLoss.of(gpt, val, cfg.batchSize(), pad);
        GenerationEval.Result gen = GenerationEval.run(gpt.decoder(), tokenizer,
                data.valPrompts().subList(0, Math.min(cfg.evalExamples(), data.valPrompts().size())), GEN_BATCH,
                cfg.maxNewTokens());
        lastAnswers = gen.answers();
        return Map.of("val_loss", valLoss, "exact_match", gen.exactMatch(),
                "chrf", gen.chrF());
    }

    @Override
    public List<String> samples(int step) {
        List<String> lines = new ArrayList<>();
        for (GenerationEval.Answer a : lastAnswers.subList(0, Math.min(SAMPLE_LINES, lastAnswers.size()))) {
            String prompt = a.item().prompt().get(a.item().prompt().size() - 1).content();
            lines.add(prompt + " → " + a.output() + (a.exact() ? "  [exact]" : "  [ref: " + a.item().reference() + "]"));
        }
        return lines;
    }
}
