package rlhf4j.stage.pretrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rlhf4j.config.PretrainConfig;
import rlhf4j.eval.LmEval;
import rlhf4j.generate.Sampler;
import rlhf4j.generate.SamplingParams;
import rlhf4j.loss.Losses;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.BpeTokenizer;
import rlhf4j.tokenizer.SpecialTokens;
import rlhf4j.train.MicroBatchGradient;
import rlhf4j.train.TrainingTask;
import rlhf4j.train.Seeds;

/**
 * Next-token prediction on random windows of the token stream. The windows of step s are drawn
 * from a generator seeded by (seed, s), so the data position is the step itself and a resumed run
 * sees exactly the batches an uninterrupted one would. Validation uses one fixed set of windows.
 */
public final class PretrainTask implements TrainingTask {
    private final Gpt gpt;
    private final BpeTokenizer tokenizer;
    private final TokenSplit data;
    private final PretrainConfig cfg;
    private final long seed;
    private final int blockSize;
    private final LmEval lmEval;
    private final List<int[]> evalStarts = new ArrayList<>();
    private final Windows gradient;

    public PretrainTask(Gpt gpt, BpeTokenizer tokenizer, TokenSplit data, PretrainConfig cfg, long seed) {
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.data = data;
        this.cfg = cfg;
        this.seed = seed;
        this.blockSize = gpt.spec().blockSize();
        this.lmEval = new LmEval(gpt, tokenizer);
        this.gradient = new Windows(data.train(), cfg.batchSize(), blockSize, seed);
        Random evalRng = new Random(seed ^ 0x5EEDE7A1L);
        for (int b = 0; b < cfg.evalBatches(); b++) {
            evalStarts.add(starts(evalRng, cfg.batchSize(), blockSize, data.val().length));
        }
    }

    /**
     * The micro-batches: {@code batchSize} windows of {@code blockSize} tokens of the training stream at starts drawn
     * from {@link Seeds#microBatch}, the mean next-token loss over all their positions.
     */
    public record Windows(int[] stream, int batchSize, int blockSize, long seed) implements MicroBatchGradient {
        @Override
        public MicroStep compute(Gpt gpt, int step, int micro) {
            Inputs w = Inputs.of(stream, starts(Seeds.microBatch(seed, step, micro), batchSize, blockSize,
                    stream.length), blockSize);
            double[] weight = Losses.uniformWeights(w.targets().length);                     // [B*T]
            Gpt.Step s = gpt.forwardBackward(HeadRequest.lm(w.targets()), w.batch(),
                    out -> Losses.lm(out.logp(), weight));
            return new MicroStep(s.loss().value(), s.grads(), w.targets().length);
        }
    }

    /** Inputs and next-token targets for windows starting at {@code starts}. */
    private record Inputs(TokenBatch batch, int[] targets) {
        static Inputs of(int[] stream, int[] starts, int blockSize) {
            int[][] rows = new int[starts.length][blockSize];                               // [B, T]
            int[] targets = new int[starts.length * blockSize];                             // [B*T]
            for (int i = 0; i < starts.length; i++) {
                System.arraycopy(stream, starts[i], rows[i], 0, blockSize);
                System.arraycopy(stream, starts[i] + 1, targets, i * blockSize, blockSize);
            }
            return new Inputs(TokenBatch.causal(rows), targets);
        }
    }

    static int[] starts(Random rng, int count, int blockSize, int length) {
        int[] starts = new int[count];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = rng.nextInt(length - blockSize);
        }
        return starts;
    }

    @Override
    public MicroStep microStep(int step, int micro) {
        return gradient.compute(gpt, step, micro);
    }

    @Override
    public MicroBatchGradient gradient() {
        return gradient;
    }

    @Override
    public Map<String, Double> evaluate(int step) {
        return lmEval.score(data.val(), evalStarts).asMetrics("val_");
    }

    @Override
    public List<String> samples(int step) {
        if (cfg.sampleTokens() == 0 || cfg.samplePrompts().isEmpty()) {
            return List.of();
        }
        int eot = tokenizer.id(SpecialTokens.ENDOFTEXT);
        Sampler sampler = new Sampler(gpt.decoder(), tokenizer.id(SpecialTokens.PAD));
        List<int[]> prompts = new ArrayList<>();
        for (String p : cfg.samplePrompts()) {
            prompts.add(prepend(eot, tokenizer.encode(p)));
        }
        SamplingParams params = new SamplingParams(cfg.sampleTemperature(), 0, 1.0, cfg.sampleTokens());
        List<Sampler.Generation> gens = sampler.generate(prompts, params, new Random(seed + step), t -> t == eot);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < gens.size(); i++) {
            lines.add(cfg.samplePrompts().get(i) + " → " + tokenizer.decode(gens.get(i).tokens(), true)
                    .replace("\n", " "));
        }
        return lines;
    }

    static int[] prepend(int first, int[] rest) {
        int[] out = new int[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
