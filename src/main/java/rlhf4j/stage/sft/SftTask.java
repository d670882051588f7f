package rlhf4j.stage.sft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.config.SftConfig;
import rlhf4j.data.ConversationBatch;
import rlhf4j.eval.GenerationEval;
import rlhf4j.eval.MaskedLoss;
import rlhf4j.generate.Decoding;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.ChatTemplate;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.Seeds;
import rlhf4j.train.TrainingTask;

/**
 * Supervised fine-tuning: batches of conversations drawn by a generator seeded by (seed, step),
 * loss on assistant tokens only, normalised over the whole step's global batch; evaluation is the masked validation loss plus greedy answers to
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
    private final Decoding decoding;
    private final int pad;
    private final Conversations gradient;
    private List<GenerationEval.Answer> lastAnswers = List.of();

    SftTask(Gpt gpt, BpeTokenizer tokenizer, SftExamples data, SftConfig cfg, Decoding decoding, long seed) {
        this.gradient = new Conversations(data.train(), cfg.batchSize(), gpt.spec().blockSize(),
                tokenizer.id(SpecialTokens.PAD), seed, cfg.gradAccumSteps());
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.data = data;
        this.cfg = cfg;
        this.decoding = decoding;
        this.pad = tokenizer.id(SpecialTokens.PAD);
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
     * The micro-batches: {@code batchSize} conversations drawn from {@link Seeds#microBatch}, the loss on their
     * assistant tokens. Each micro-batch's token losses are divided by the mean count of such tokens per micro-batch
     * of the whole step, so that the step's mean over its {@code micros} micro-batches is the mean over every
     * assistant token of the global batch, however the tokens fall into micro-batches.
     */
    record Conversations(List<ChatTemplate.Rendered> train, int batchSize, int blockSize, int pad, long seed,
                         int micros) implements MicroBatchGradient {
        Conversations {
            train = List.copyOf(train);
        }

        @Override
        public MicroStep compute(Gpt gpt, int step, int micro) {
            if (micro < 0 || micro >= micros) {
                throw new IllegalArgumentException("micro-batch " + micro + " of " + micros);
            }
            ConversationBatch b = batch(step, micro);
            double globalTokens = 0;
            for (int m = 0; m < micros; m++) {
                globalTokens += m == micro ? b.maskedIn() : batch(step, m).maskedIn();
            }
            double[] weight = Losses.meanWeights(b.mask(), globalTokens / micros);              // [B*T]
            Gpt.Step s = gpt.forwardBackward(HeadRequest.lm(b.targets()), b.batch(),
                    out -> Losses.lm(out.logp(), weight));
            return new MicroStep(s.loss().value(), s.grads(), b.maskedIn());
        }

        private ConversationBatch batch(int step, int micro) {
            return ConversationBatch.of(Seeds.drawMicroBatch(train, batchSize, seed, step, micro), blockSize, pad);
        }
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        List<ChatTemplate.Rendered> val = data.val().subList(0, Math.min(MAX_VAL_ROWS, data.val().size()));
        double valLoss = MaskedLoss.of(gpt, val, cfg.batchSize(), pad);
        GenerationEval.Result gen = GenerationEval.run(gpt.decoder(), tokenizer,
                data.valPrompts().subList(0, Math.min(cfg.evalExamples(), data.valPrompts().size())), GEN_BATCH,
                cfg.maxNewTokens(), decoding);
        lastAnswers = gen.answers();
        Map<String, Double> m = new LinkedHashMap<>();                          // printed in this order
        m.put("val_loss", valLoss);
        m.put("exact_match", gen.exactMatch());
        m.put("chrf", gen.chrF());
        return m;
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
