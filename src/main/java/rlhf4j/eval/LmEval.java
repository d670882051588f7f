package rlhf4j.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.model.Gpt;
import rlhf4j.model.HeadRequest;
import rlhf4j.model.TokenBatch;
import rlhf4j.tokenizer.BpeTokenizer;

/**
 * Language-model evaluation on windows of a token stream: mean next-token loss (nats), perplexity
 * and bits per byte (total bits over the UTF-8 bytes of the predicted tokens; special tokens count
 * as zero bytes).
 */
public final class LmEval {
    private static final double LN2 = Math.log(2);

    private final Gpt gpt;
    private final int[] tokenBytes;

    public LmEval(Gpt gpt, BpeTokenizer tokenizer) {
        this.gpt = gpt;
        this.tokenBytes = new int[tokenizer.vocabSize()];
        for (int id = 0; id < tokenBytes.length; id++) {
            tokenBytes[id] = tokenizer.isSpecial(id) ? 0 : tokenizer.decodeBytes(new int[] {id}).length;
        }
    }

    /** Totals over all windows. */
    public record Result(double nats, long tokens, long bytes) {
        public double loss() {
            return nats / tokens;
        }

        public double bitsPerByte() {
            return nats / LN2 / Math.max(1, bytes);
        }

        public Map<String, Double> asMetrics(String prefix) {
            Map<String, Double> m = new LinkedHashMap<>();                      // printed in this order
            m.put(prefix + "loss", loss());
            m.put(prefix + "bpb", bitsPerByte());
            return m;
        }
    }

    /** Scores windows of block_size tokens starting at the given offsets, one batch per array. */
    public Result score(int[] stream, List<int[]> batchesOfStarts) {
        int t = gpt.spec().blockSize();
        double nats = 0;
        long tokens = 0;
        long bytes = 0;
        for (int[] starts : batchesOfStarts) {
            int[][] rows = new int[starts.length][t];
            int[] targets = new int[starts.length * t];
            for (int i = 0; i < starts.length; i++) {
                System.arraycopy(stream, starts[i], rows[i], 0, t);
                System.arraycopy(stream, starts[i] + 1, targets, i * t, t);
            }
            double[] lp = gpt.forward(HeadRequest.lm(targets), TokenBatch.causal(rows)).logp();  // [B*T]
            for (int i = 0; i < lp.length; i++) {
                nats -= lp[i];
                bytes += tokenBytes[targets[i]];
            }
            tokens += lp.length;
        }
        return new Result(nats, tokens, bytes);
    }
}
